export const PG_BASE = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const ADMIN_URL = `${PG_BASE}/postgres`;
export const TEMPLATE_DB = 'mailpanel_test_template';
export const urlFor = (db: string) => `${PG_BASE}/${db}`;
