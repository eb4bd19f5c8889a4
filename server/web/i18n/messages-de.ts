// German for what services and rules say to users (field errors, import problems, refusals), keyed by the
// English original; {placeholders} are filled in the reader's notation (server/core/message.ts).
export const messagesDe: Record<string, string> = {
  // Quotas and plan limits
  'Enter a quota of at least {min}, like 500 MB or 2 GB.': 'Geben Sie einen Speicherplatz von mindestens {min} ein, etwa 500 MB oder 2 GB.',
  'Enter a size of at least {min}.': 'Geben Sie eine Größe von mindestens {min} ein.',
  'The plan allows at most {max} per mailbox.': 'Der Tarif erlaubt höchstens {max} pro Postfach.',
  'The plan allows at most {max} mailboxes.': 'Der Tarif erlaubt höchstens {max} Postfächer.',
  'The plan allows at most {max} of storage in total.': 'Der Tarif erlaubt insgesamt höchstens {max} Speicherplatz.',
  'The plan allows at most {max} mailboxes; {room} more fit, and this file has {n}. Nothing was imported.':
    'Der Tarif erlaubt höchstens {max} Postfächer; {room} passen noch hinein, und diese Datei enthält {n}. Es wurde nichts importiert.',
  "The plan allows at most {max} of storage; {room} is left, and this file's mailboxes need {need}. Nothing was imported.":
    'Der Tarif erlaubt höchstens {max} Speicherplatz; {room} sind noch frei, und die Postfächer dieser Datei brauchen {need}. Es wurde nichts importiert.',
  'Plan was not found.': 'Der Tarif wurde nicht gefunden.',

  // Mailboxes and domains
  'The mailbox {address} already exists.': 'Das Postfach {address} gibt es bereits.',
  'Enter the part before the @ only: this mailbox is created in {domain}.': 'Geben Sie nur den Teil vor dem @ ein: Dieses Postfach wird in {domain} angelegt.',
  'The domain {domain} is already in use.': 'Die Domain {domain} wird bereits verwendet.',
  'A node name is 1-32 lowercase letters, digits or "-".': 'Ein Knotenname besteht aus 1–32 Kleinbuchstaben, Ziffern oder „-“.',
  'Only the operator chooses the storage node.': 'Nur der Betreiber wählt den Speicherknoten.',
  'This API key is limited to one domain.': 'Dieser API-Schlüssel ist auf eine Domain beschränkt.',
  'This API key is read-only.': 'Dieser API-Schlüssel darf nur lesen.',
  'The address {address} is in use by another mailbox: delete or rename that one first.':
    'Die Adresse {address} wird von einem anderen Postfach verwendet: Löschen oder benennen Sie dieses zuerst um.',
  'This mailbox is being removed for good and can no longer be restored.':
    'Dieses Postfach wird endgültig entfernt und kann nicht mehr wiederhergestellt werden.',
  'Deleted mailbox was not found.': 'Das gelöschte Postfach wurde nicht gefunden.',
  'The password must be at least {min} characters long.': 'Das Passwort muss mindestens {min} Zeichen lang sein.',
  'Login was not found.': 'Der Zugang wurde nicht gefunden.',
  'Link was not found.': 'Der Link wurde nicht gefunden.',

  // Freeing space
  'Enter a number of days from 1 to {max}.': 'Geben Sie eine Anzahl von Tagen von 1 bis {max} ein.',
  'Choose from 1 to {max} messages.': 'Wählen Sie 1 bis {max} Nachrichten.',
  'Cleanup was not found.': 'Die Bereinigung wurde nicht gefunden.',

  // CSV import: the file
  'The file is larger than {max}; split it into smaller files.': 'Die Datei ist größer als {max}; teilen Sie sie in kleinere Dateien auf.',
  'Line {line}: unexpected text after a closing quote. Put quotes around the whole field and double any quote inside it ("").':
    'Zeile {line}: unerwarteter Text nach einem schließenden Anführungszeichen. Setzen Sie das ganze Feld in Anführungszeichen und verdoppeln Sie jedes Anführungszeichen darin ("").',
  'Line {line}: a quoted field is never closed.': 'Zeile {line}: Ein Feld in Anführungszeichen wird nie geschlossen.',
  'This is not a CSV text file. In your spreadsheet choose "Save as" → "CSV UTF-8".':
    'Das ist keine CSV-Textdatei. Wählen Sie in Ihrer Tabellenkalkulation „Speichern unter“ → „CSV UTF-8“.',
  'The file is not UTF-8 text. In your spreadsheet choose "Save as" → "CSV UTF-8".':
    'Die Datei ist kein UTF-8-Text. Wählen Sie in Ihrer Tabellenkalkulation „Speichern unter“ → „CSV UTF-8“.',
  'The header line has no address column; name one "address".': 'Die Kopfzeile hat keine Adressspalte; nennen Sie eine „address“.',
  'The file has no rows to import.': 'Die Datei enthält keine Zeilen zum Importieren.',
  'The file has {rows} rows; at most {max} can be imported at once. Split it into smaller files.':
    'Die Datei hat {rows} Zeilen; höchstens {max} können auf einmal importiert werden. Teilen Sie sie in kleinere Dateien auf.',
  'No row of this file can be imported; the report below says why.': 'Keine Zeile dieser Datei kann importiert werden; der Bericht unten sagt, warum.',
  'Import was not found.': 'Der Import wurde nicht gefunden.',
  'The upload could not be read; please choose the file again.': 'Die hochgeladene Datei konnte nicht gelesen werden; bitte wählen Sie sie noch einmal.',
  'Upload one file at a time.': 'Laden Sie jeweils eine Datei hoch.',
  'The form field {name} was sent twice.': 'Das Formularfeld {name} wurde zweimal gesendet.',

  // CSV import: a row
  '"{value}" is not a size: write bytes (524288000) or a size with a unit (500 MB, 2 GB).':
    '„{value}“ ist keine Größe: Schreiben Sie Bytes (524288000) oder eine Größe mit Einheit (500 MB, 2 GB).',
  '{problem} A bare number counts bytes; write "{value} MB" for megabytes.':
    '{problem} Eine Zahl ohne Einheit zählt Bytes; schreiben Sie „{value} MB“ für Megabytes.',
  'The address belongs to {theirs}, not to {ours}.': 'Die Adresse gehört zu {theirs}, nicht zu {ours}.',
  '"{value}" is not yes or no.': '„{value}“ ist weder ja noch nein.',
  'The address is already on line {line} of this file.': 'Die Adresse steht bereits in Zeile {line} dieser Datei.',

  // Several mailboxes at once
  'Select at least one mailbox.': 'Wählen Sie mindestens ein Postfach.',
  'Select at most {max} mailboxes at once.': 'Wählen Sie höchstens {max} Postfächer auf einmal.',
  'Enter a quota.': 'Geben Sie einen Speicherplatz ein.',
  'Several mailboxes': 'Mehrere Postfächer',
  'With the selected mailboxes': 'Mit den ausgewählten Postfächern',
  'Select {address}': '{address} auswählen',
  'New quota': 'Neuer Speicherplatz',
  'New quota: {size}': 'Neuer Speicherplatz: {size}',
  'Suspend one mailbox?': 'Ein Postfach sperren?',
  'Suspend {n} mailboxes?': '{n} Postfächer sperren?',
  'Resume one mailbox?': 'Ein Postfach entsperren?',
  'Resume {n} mailboxes?': '{n} Postfächer entsperren?',
  'Change the quota of one mailbox': 'Speicherplatz eines Postfachs ändern',
  'Change the quota of {n} mailboxes': 'Speicherplatz von {n} Postfächern ändern',
  'Delete one mailbox?': 'Ein Postfach löschen?',
  'Delete {n} mailboxes?': '{n} Postfächer löschen?',
  'These mailboxes stop receiving mail (senders get it back) and their users can no longer sign in over IMAP or POP3. The mail already in them is kept.':
    'Diese Postfächer empfangen keine E-Mails mehr (Absender bekommen sie zurück), und ihre Benutzer können sich nicht mehr über IMAP oder POP3 anmelden. Die E-Mails darin bleiben erhalten.',
  'These mailboxes receive mail again and their users can sign in again.':
    'Diese Postfächer empfangen wieder E-Mails, und ihre Benutzer können sich wieder anmelden.',
  'Each of these mailboxes gets this quota.': 'Jedes dieser Postfächer erhält diesen Speicherplatz.',
  "These mailboxes stop receiving mail and signing in at once. Their mail is kept for {days} days: until then each can be restored, with its mail, from the domain's page.":
    'Diese Postfächer empfangen sofort keine E-Mails mehr, und niemand kann sich mehr anmelden. Ihre E-Mails werden {days} Tage aufbewahrt: Bis dahin kann jedes mit seinen E-Mails auf der Seite der Domain wiederhergestellt werden.',
  'One of them already holds more than that: with this quota it is full at once, and all its new mail is refused until space is freed:':
    'Eines davon enthält schon mehr: Mit diesem Speicherplatz ist es sofort voll, und alle neuen E-Mails werden abgewiesen, bis Platz frei wird:',
  '{n} of them already hold more than that: with this quota they are full at once, and all their new mail is refused until space is freed:':
    '{n} davon enthalten schon mehr: Mit diesem Speicherplatz sind sie sofort voll, und alle neuen E-Mails werden abgewiesen, bis Platz frei wird:',
  'Select the mailboxes first: tick the box before each address.': 'Wählen Sie zuerst die Postfächer: Setzen Sie das Häkchen vor jeder Adresse.',
  'The selected mailboxes were suspended.': 'Die ausgewählten Postfächer wurden gesperrt.',
  'The selected mailboxes were resumed.': 'Die ausgewählten Postfächer wurden entsperrt.',
  'The quota of the selected mailboxes was changed.': 'Der Speicherplatz der ausgewählten Postfächer wurde geändert.',
  'The selected mailboxes were deleted. Each can be restored below until the date shown.':
    'Die ausgewählten Postfächer wurden gelöscht. Jedes kann unten bis zum angegebenen Datum wiederhergestellt werden.',
};
