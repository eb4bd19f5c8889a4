// German texts of deleting and restoring mailboxes and domains (merged into server/i18n/de.ts).
export const deletedMailboxesDe: Record<string, string> = {
  "The mailbox stops receiving mail and signing in at once. Its mail is kept for {days} days: until then it can be restored, with its mail, from the domain's page. After that it is removed for good. The same address created again starts empty.":
    'Das Postfach empfängt sofort keine E-Mails mehr, und niemand kann sich mehr anmelden. Seine E-Mails werden {days} Tage aufbewahrt: bis dahin lässt es sich mit seinen E-Mails auf der Seite der Domain wiederherstellen. Danach wird es endgültig entfernt. Wird dieselbe Adresse neu angelegt, beginnt sie leer.',
  'This domain has {n} mailboxes. Deleting it deletes them too: they stop receiving mail and signing in at once. Their mail is kept for {days} days; add the domain again within that time to restore them.':
    'Diese Domain hat {n} Postfächer. Wird sie gelöscht, werden diese mitgelöscht: Sie empfangen sofort keine E-Mails mehr, und niemand kann sich mehr anmelden. Ihre E-Mails werden {days} Tage aufbewahrt; wird die Domain in dieser Zeit wieder hinzugefügt, lassen sie sich wiederherstellen.',
  'The domain will no longer receive mail.': 'Die Domain empfängt danach keine E-Mails mehr.',
  'Delete the domain and its mailboxes': 'Domain und ihre Postfächer löschen',
  'Delete its mailboxes first, or ask your provider.': 'Löschen Sie zuerst ihre Postfächer, oder wenden Sie sich an Ihren Anbieter.',
  'Deleted mailboxes': 'Gelöschte Postfächer',
  'They receive no mail and cannot sign in. Each can be restored with its mail until the date shown; after that it is removed for good.':
    'Sie empfangen keine E-Mails, und niemand kann sich anmelden. Jedes lässt sich bis zum angegebenen Datum mit seinen E-Mails wiederherstellen; danach wird es endgültig entfernt.',
  Deleted: 'Gelöscht',
  'Restorable until': 'Wiederherstellbar bis',
  'Restoring…': 'Wird wiederhergestellt …',
  'Being removed': 'Wird entfernt',
  Restore: 'Wiederherstellen',
  'Keep deleted mailboxes (days)': 'Gelöschte Postfächer aufbewahren (Tage)',
  'Restorable with their mail until then': 'Bis dahin mit ihren E-Mails wiederherstellbar',
  'Enter a number of days from 0 (removed at the next cleanup) to 3650.': 'Geben Sie eine Anzahl Tage von 0 (beim nächsten Aufräumen entfernt) bis 3650 ein.',
  'The mailbox was deleted. It can be restored below until the date shown.':
    'Das Postfach wurde gelöscht. Es lässt sich unten bis zum angegebenen Datum wiederherstellen.',
  'The mailbox is being restored with its mail; it is back in a moment.': 'Das Postfach wird mit seinen E-Mails wiederhergestellt; es ist gleich wieder da.',
};
