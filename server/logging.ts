// Never log credentials: headers that carry them and any body field that could hold one.
export const redactPaths = {
  paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.passwordHash', '*.password_hash', '*.key', '*.token'],
  censor: '[redacted]',
};
