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
  'Mailboxes nobody signed in to over IMAP or POP3, nor sent from, for this many days (never-used ones counted from their creation), the longest unused first. Sign-ins are recorded by the mail server itself.':
    'Postfächer, bei denen sich so viele Tage niemand über IMAP oder POP3 angemeldet und von denen niemand gesendet hat (nie genutzte ab ihrer Anlage gezählt), die am längsten ungenutzten zuerst. Die Anmeldungen zeichnet der Mailserver selbst auf.',
  'Unused for at least (days)': 'Ungenutzt seit mindestens (Tage)',
  Show: 'Anzeigen',
  'never (created {date})': 'nie (angelegt am {date})',
  'Every mailbox was used in that time.': 'Jedes Postfach wurde in dieser Zeit genutzt.',
  'Mailboxes nobody signed in to for 90 days': 'Postfächer ohne Anmeldung seit 90 Tagen',
  'Enter a number of days from 1 to 3650.': 'Geben Sie eine Anzahl Tage von 1 bis 3650 ein.',
  'App passwords': 'App-Passwörter',
  'Give each mail program its own password, limited to what it needs. Revoke it when the device is gone; the other programs keep working.':
    'Geben Sie jedem E-Mail-Programm ein eigenes Passwort, beschränkt auf das, was es braucht. Widerrufen Sie es, wenn das Gerät weg ist; die anderen Programme arbeiten weiter.',
  'The new app password — enter it in the mail program now, it will not be shown again:':
    'Das neue App-Passwort – tragen Sie es jetzt im E-Mail-Programm ein, es wird nicht noch einmal angezeigt:',
  'until {date}': 'bis {date}',
  Revoke: 'Widerrufen',
  'Name, e.g. the device': 'Name, etwa das Gerät',
  'Valid until (optional)': 'Gültig bis (optional)',
  'Only from these networks (optional)': 'Nur aus diesen Netzen (optional)',
  'For example 203.0.113.0/24': 'Zum Beispiel 203.0.113.0/24',
  'May be used for': 'Gilt für',
  'Create app password': 'App-Passwort anlegen',
  'The main password works for': 'Das Hauptpasswort gilt für',
  'Unchecked: only an app password signs in there. The panel itself always takes the main password.':
    'Nicht angehakt: Dort meldet sich nur ein App-Passwort an. Der Kundenbereich selbst nimmt immer das Hauptpasswort.',
  'The app password was revoked: the program using it can no longer sign in.':
    'Das App-Passwort wurde widerrufen: Das Programm, das es nutzt, kann sich nicht mehr anmelden.',
  'Saved: the main password works for the protocols chosen.': 'Gespeichert: Das Hauptpasswort gilt für die gewählten Protokolle.',
  'Choose at least one of IMAP, POP3, SMTP and ManageSieve.': 'Wählen Sie mindestens eines von IMAP, POP3, SMTP und ManageSieve.',
  'Choose among IMAP, POP3, SMTP and ManageSieve.': 'Wählen Sie unter IMAP, POP3, SMTP und ManageSieve.',
  'Enter a date in the future, or none.': 'Geben Sie ein Datum in der Zukunft ein, oder keines.',
  'Enter at most 20 networks.': 'Geben Sie höchstens 20 Netze ein.',
  'This mailbox has 20 app passwords already. Revoke one it no longer needs.':
    'Dieses Postfach hat schon 20 App-Passwörter. Widerrufen Sie eines, das es nicht mehr braucht.',
  'App password was not found.': 'Das App-Passwort wurde nicht gefunden.',
  'Please try again.': 'Bitte versuchen Sie es noch einmal.',
  // Send limits (mailbox page, plan page, their errors).
  'Send limits': 'Versandlimits',
  "How much each mailbox may send with its password (SMTP). A message over a limit is held back, not lost: the sender's program tries again later. You and the customer are told; after repeated breaches in a day, sending is suspended.":
    'Wie viel jedes Postfach mit seinem Passwort (SMTP) senden darf. Eine Nachricht über dem Limit wird zurückgehalten, nicht verworfen: das Mailprogramm versucht es später erneut. Sie und der Kunde werden benachrichtigt; nach wiederholten Überschreitungen an einem Tag wird der Versand gesperrt.',
  'Messages per hour': 'Nachrichten pro Stunde',
  'Messages per day': 'Nachrichten pro Tag',
  'Recipients per message': 'Empfänger pro Nachricht',
  'This mailbox has limits of its own.': 'Für dieses Postfach gelten eigene Limits.',
  "The plan's limits apply.": 'Es gelten die Limits des Tarifs.',
  'A message over a limit is held back, not lost: the mail program tries again later.':
    'Eine Nachricht über dem Limit wird zurückgehalten, nicht verworfen: das Mailprogramm versucht es später erneut.',
  'over {n} messages an hour': 'mehr als {n} Nachrichten pro Stunde',
  'over {n} messages a day': 'mehr als {n} Nachrichten pro Tag',
  'over {n} recipients in a message': 'mehr als {n} Empfänger in einer Nachricht',
  "Use the plan's limits": 'Limits des Tarifs verwenden',
  'The send limits were saved. They apply to the next message.': 'Die Versandlimits wurden gespeichert. Sie gelten ab der nächsten Nachricht.',
  'Enter a whole number from 1 to {max}, or leave it empty for no limit.':
    'Geben Sie eine ganze Zahl von 1 bis {max} ein, oder lassen Sie das Feld leer für unbegrenzt.',
  'Send limits are set by your provider.': 'Versandlimits legt Ihr Anbieter fest.',
  'Sending was suspended after repeated breaches of the send limits: your provider lifts it.':
    'Der Versand wurde nach wiederholten Überschreitungen der Versandlimits gesperrt: Ihr Anbieter hebt die Sperre auf.',
};
