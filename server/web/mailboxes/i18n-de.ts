// German texts of a mailbox's protocol switches and partial suspensions, keyed by the English original.
export const mailboxAccessDe: Record<string, string> = {
  'SMTP (sending)': 'SMTP (Versand)',
  'Mail programs send through our server with this address and its password.':
    'E-Mail-Programme versenden über unseren Server mit dieser Adresse und ihrem Passwort.',
  'Mail programs set filters and vacation replies on the server.': 'E-Mail-Programme richten Filter und Abwesenheitsnotizen auf dem Server ein.',
  'Suspend only part of it': 'Nur teilweise sperren',
  'Sign-in: no mail program can sign in; mail still arrives': 'Anmeldung: kein E-Mail-Programm kann sich anmelden; E-Mails kommen weiter an',
  'Incoming mail: refused; the owner still reads and sends': 'Eingehende E-Mails: abgewiesen; der Inhaber liest und sendet weiter',
  'Sending: stopped, e.g. when the password was stolen; reading and receiving go on':
    'Versand: gestoppt, etwa wenn das Passwort gestohlen wurde; Lesen und Empfangen gehen weiter',
  'The suspensions were saved. They apply at the next sign-in or message.':
    'Die Sperren wurden gespeichert. Sie gelten ab der nächsten Anmeldung oder Nachricht.',
  'Sign-in suspended': 'Anmeldung gesperrt',
  'Incoming mail suspended': 'Empfang gesperrt',
  'Sending suspended': 'Versand gesperrt',
  'Last sign-in': 'Letzte Anmeldung',
  never: 'nie',
  'Unused mailboxes': 'Ungenutzte Postfächer',
  'Mailboxes nobody signed in to over IMAP or POP3 for this many days (never-used ones counted from their creation), the longest unused first. Sign-ins are recorded by the mail server itself.':
    'Postfächer, bei denen sich so viele Tage niemand über IMAP oder POP3 angemeldet hat (nie genutzte ab ihrer Anlage gezählt), die am längsten ungenutzten zuerst. Die Anmeldungen zeichnet der Mailserver selbst auf.',
  'Unused for at least (days)': 'Ungenutzt seit mindestens (Tage)',
  Show: 'Anzeigen',
  'never (created {date})': 'nie (angelegt am {date})',
  'Every mailbox was used in that time.': 'Jedes Postfach wurde in dieser Zeit genutzt.',
  'Mailboxes nobody signed in to for 90 days': 'Postfächer ohne Anmeldung seit 90 Tagen',
  'Enter a number of days from 1 to 3650.': 'Geben Sie eine Anzahl Tage von 1 bis 3650 ein.',
};
