// German texts of the mailbox owner's own page (see i18n/de.ts for conventions).
export const ownerDe: Record<string, string> = {
  'Your mailbox': 'Ihr Postfach',
  'Sign in with your email address and the password of your mailbox, the same as in your mail program.':
    'Melden Sie sich mit Ihrer E-Mail-Adresse und dem Passwort Ihres Postfachs an, demselben wie in Ihrem E-Mail-Programm.',
  'Email address': 'E-Mail-Adresse',
  'The address or password is wrong.': 'Die Adresse oder das Passwort ist falsch.',
  'The current password is wrong.': 'Das aktuelle Passwort ist falsch.',
  'The password was changed. Use the new one in your mail programs too.':
    'Das Passwort wurde geändert. Verwenden Sie das neue auch in Ihren E-Mail-Programmen.',
};
