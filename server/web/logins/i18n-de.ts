// German texts of panel logins and passwords: change, one-time links, forgot, strength, generator,
// API key revocation (merged into server/i18n/de.ts).
export const loginsDe: Record<string, string> = {
  Generate: 'Erzeugen',
  'Forgot your password?': 'Passwort vergessen?',
  'Too many attempts. Try again in an hour.': 'Zu viele Versuche. Versuchen Sie es in einer Stunde erneut.',
  'Your new password is set. Sign in with it.': 'Ihr neues Passwort ist gesetzt. Melden Sie sich damit an.',
  'If a login with that address exists, a link to set a new password is on its way. It works once, for an hour.':
    'Wenn es zu dieser Adresse einen Zugang gibt, ist ein Link zum Setzen eines neuen Passworts unterwegs. Er funktioniert einmal, eine Stunde lang.',
  'Back to sign in': 'Zurück zur Anmeldung',
  'Enter the email address you sign in with. We send a link to set a new password.':
    'Geben Sie die E-Mail-Adresse ein, mit der Sie sich anmelden. Wir senden einen Link zum Setzen eines neuen Passworts.',
  'Send the link': 'Link senden',
  'Set a new password': 'Neues Passwort setzen',
  'For {email}. This link works once; every session of this login ends.':
    'Für {email}. Dieser Link funktioniert einmal; alle Sitzungen dieses Zugangs werden beendet.',
  'Set password': 'Passwort setzen',
  'Your other sessions end; this one stays signed in.': 'Ihre anderen Sitzungen werden beendet; diese bleibt angemeldet.',
  'Current password': 'Aktuelles Passwort',
  'A one-time link for {email}': 'Ein Einmal-Link für {email}',
  'Give this link to the person who uses the login. It sets a new password once and works for {n} hours. It is shown only now.':
    'Geben Sie diesen Link der Person, die den Zugang nutzt. Er setzt einmal ein neues Passwort und gilt {n} Stunden. Er wird nur jetzt angezeigt.',
  'The login was signed out everywhere; its old password still works until the new one is set.':
    'Der Zugang wurde überall abgemeldet; sein altes Passwort gilt, bis das neue gesetzt ist.',
  Done: 'Fertig',
  'last signed in {date}': 'zuletzt angemeldet {date}',
  'never signed in': 'nie angemeldet',
  'One-time password link': 'Einmal-Link fürs Passwort',
  Remove: 'Entfernen',
  'Remove login': 'Zugang entfernen',
  'Whoever signs in with it is signed out at once and cannot sign in again. Mailboxes and everything else stay as they are.':
    'Wer sich damit anmeldet, wird sofort abgemeldet und kann sich nicht mehr anmelden. Postfächer und alles andere bleiben, wie sie sind.',
  'Your password was changed. Your other sessions were ended.': 'Ihr Passwort wurde geändert. Ihre anderen Sitzungen wurden beendet.',
  'The current password is not right.': 'Das aktuelle Passwort stimmt nicht.',
  'This link is invalid, was already used, or has expired. Ask for a new one.':
    'Dieser Link ist ungültig, wurde schon benutzt oder ist abgelaufen. Fordern Sie einen neuen an.',
  'Every program using this key is refused from the next request on. A revoked key cannot be used again: create a new one for them instead.':
    'Jedes Programm, das diesen Schlüssel nutzt, wird ab der nächsten Anfrage abgewiesen. Ein widerrufener Schlüssel lässt sich nicht wieder verwenden: Legen Sie stattdessen einen neuen an.',
  'This password is too easy to guess (a common word or password, a name, a date, a pattern or repeat, or the address itself). Use a longer one, or a generated one.':
    'Dieses Passwort ist zu leicht zu erraten (ein häufiges Wort oder Passwort, ein Name, ein Datum, ein Muster oder eine Wiederholung, oder die Adresse selbst). Nehmen Sie ein längeres oder ein erzeugtes.',
};
