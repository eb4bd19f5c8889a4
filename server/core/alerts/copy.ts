// The wording of quota alert emails, English and German. Kept apart from the templates so the
// layout (views/emails/) is shared and the sentences can be read and reviewed in one place.
// The POP3 advice follows the provider's own support article, in our words.
import type { AlertKind } from './decide.js';

export type AlertLanguage = 'en' | 'de';

/** Values the sentences (and a reseller's own text) can refer to as {name}. */
export interface CopyVars {
  address: string;
  used: string;
  quota: string;
  percent: string;
  free: string;
  panelUrl: string;
}

export interface AlertCopy {
  subject: string;
  heading: string;
  /** One sentence saying where the mailbox stands; a reseller's text can use it as {status}. */
  status: string;
  greeting: string;
  paragraphs: string[];
  tipsIntro: string | null;
  tips: string[];
  linkIntro: string;
  linkLabel: string;
  footer: string;
}

/** Which message a mailbox gets: 'full' for full notices and reminders while full. */
export type Situation = 'warning' | 'free' | 'full' | 'reminder' | 'reminderFull' | 'recovered';

export function situationOf(kind: AlertKind, level: string, isFull: boolean): Situation {
  if (kind === 'full') return 'full';
  if (kind === 'recovered') return 'recovered';
  if (kind === 'reminder') return isFull ? 'reminderFull' : 'reminder';
  return level === 'free' ? 'free' : 'warning';
}

type Texts = {
  subject: Record<Situation, string>;
  heading: Record<Situation, string>;
  status: Record<Situation, string>;
  usage: Record<Situation, string>;
  freeLeft: string;
  beforeFull: string;
  whileFull: string;
  recovered: string;
  greeting: string;
  tipsIntro: string;
  tips: string[];
  linkIntro: string;
  linkLabel: string;
  /** For the mailbox itself: its owner's own page (signed in with the mailbox password). */
  ownerLinkIntro: string;
  ownerLinkLabel: string;
  /** The cleanup that fits, as a button: {size} is what it frees. */
  action: Record<'Junk' | 'Trash', string>;
  /** The link to ask for a larger mailbox (when its plan offers one). */
  moreSpace: string;
  footer: string;
};

const en: Texts = {
  subject: {
    warning: 'Your mailbox {address} is {percent} full',
    free: 'Only {free} left in your mailbox {address}',
    full: 'Your mailbox {address} is full: new mail is being rejected',
    reminder: 'Reminder: your mailbox {address} is still {percent} full',
    reminderFull: 'Reminder: your mailbox {address} is still full and rejects new mail',
    recovered: 'Your mailbox {address} is back under the limit',
  },
  heading: {
    warning: 'Your mailbox is almost full',
    free: 'Your mailbox is almost full',
    full: 'Your mailbox is full',
    reminder: 'Your mailbox is still almost full',
    reminderFull: 'Your mailbox is still full',
    recovered: 'Your mailbox has space again',
  },
  status: {
    warning: 'Your mailbox is almost full.',
    free: 'Your mailbox is almost full.',
    full: 'Your mailbox is full and new mail is being rejected.',
    reminder: 'Your mailbox is still almost full.',
    reminderFull: 'Your mailbox is still full and new mail is being rejected.',
    recovered: 'Your mailbox is back under the limit.',
  },
  usage: {
    warning: 'Your mailbox {address} currently uses {used} of {quota}, {percent}.',
    free: 'Your mailbox {address} currently uses {used} of {quota}, {percent}.',
    full: 'Your mailbox {address} has reached its limit: it uses {used} of {quota}, {percent}.',
    reminder: 'Your mailbox {address} still uses {used} of {quota}, {percent}.',
    reminderFull: 'Your mailbox {address} is still at its limit: it uses {used} of {quota}, {percent}.',
    recovered: 'Your mailbox {address} now uses {used} of {quota}, {percent}.',
  },
  freeLeft: 'Only {free} of space is left.',
  beforeFull:
    'Once it is full, the mail server turns away new incoming messages: they are not delivered, and the sender gets a bounce message saying that your mailbox is full. Please make some room before that happens.',
  whileFull:
    'While it is full, the mail server turns away every new incoming message: it is not delivered, and the sender gets a bounce message saying that your mailbox is full. As soon as there is room again, new mail is delivered as usual.',
  recovered: 'New mail is delivered as usual again. We will let you know if it fills up again.',
  greeting: 'Hello,',
  tipsIntro: 'What you can do:',
  tips: [
    'Delete messages you no longer need, above all those with large attachments, or save them to an archive on your computer and then remove them from the server.',
    'Empty the Trash folder (and the Junk folder). Deleted messages keep using space until the Trash is emptied.',
    'If you read your mail on one computer only, you can set up your mail program with POP3 instead of IMAP. With POP3 the program downloads new messages to that computer and removes them from the server (make sure "leave a copy on the server" is switched off), so they no longer take up room in your mailbox. The trade-off: those messages are then only on that computer, not on your phone or other devices. With IMAP every message stays on the server until you delete it, which is why an IMAP mailbox keeps growing.',
  ],
  linkIntro: 'You can see how much space your mailbox uses in the control panel:',
  linkLabel: 'Open the control panel',
  ownerLinkIntro: 'Sign in with your email address and mailbox password to see what takes up space and free it:',
  ownerLinkLabel: 'Open your mailbox page',
  action: { Junk: 'Empty Junk: frees {size}', Trash: 'Empty Trash: frees {size}' },
  moreSpace: 'Or ask for more space',
  footer: 'This is an automatic message from your hosting control panel.',
};

const de: Texts = {
  subject: {
    warning: 'Ihr Postfach {address} ist zu {percent} voll',
    free: 'Nur noch {free} frei in Ihrem Postfach {address}',
    full: 'Ihr Postfach {address} ist voll: neue E-Mails werden abgewiesen',
    reminder: 'Erinnerung: Ihr Postfach {address} ist immer noch zu {percent} voll',
    reminderFull: 'Erinnerung: Ihr Postfach {address} ist immer noch voll und weist neue E-Mails ab',
    recovered: 'Ihr Postfach {address} ist wieder unter dem Limit',
  },
  heading: {
    warning: 'Ihr Postfach ist fast voll',
    free: 'Ihr Postfach ist fast voll',
    full: 'Ihr Postfach ist voll',
    reminder: 'Ihr Postfach ist immer noch fast voll',
    reminderFull: 'Ihr Postfach ist immer noch voll',
    recovered: 'Ihr Postfach hat wieder Platz',
  },
  status: {
    warning: 'Ihr Postfach ist fast voll.',
    free: 'Ihr Postfach ist fast voll.',
    full: 'Ihr Postfach ist voll, neue E-Mails werden abgewiesen.',
    reminder: 'Ihr Postfach ist immer noch fast voll.',
    reminderFull: 'Ihr Postfach ist immer noch voll, neue E-Mails werden abgewiesen.',
    recovered: 'Ihr Postfach ist wieder unter dem Limit.',
  },
  usage: {
    warning: 'Ihr Postfach {address} belegt derzeit {used} von {quota}, {percent}.',
    free: 'Ihr Postfach {address} belegt derzeit {used} von {quota}, {percent}.',
    full: 'Ihr Postfach {address} hat sein Limit erreicht: Es belegt {used} von {quota}, {percent}.',
    reminder: 'Ihr Postfach {address} belegt weiterhin {used} von {quota}, {percent}.',
    reminderFull: 'Ihr Postfach {address} ist weiterhin an seinem Limit: Es belegt {used} von {quota}, {percent}.',
    recovered: 'Ihr Postfach {address} belegt jetzt {used} von {quota}, {percent}.',
  },
  freeLeft: 'Es sind nur noch {free} frei.',
  beforeFull:
    'Sobald es voll ist, nimmt der Mailserver keine neuen Nachrichten mehr an: Sie werden nicht zugestellt, und der Absender erhält eine Unzustellbarkeitsnachricht, dass Ihr Postfach voll ist. Bitte schaffen Sie vorher Platz.',
  whileFull:
    'Solange es voll ist, weist der Mailserver jede neue Nachricht ab: Sie wird nicht zugestellt, und der Absender erhält eine Unzustellbarkeitsnachricht, dass Ihr Postfach voll ist. Sobald wieder Platz frei ist, werden neue E-Mails wie gewohnt zugestellt.',
  recovered: 'Neue E-Mails werden wieder wie gewohnt zugestellt. Sollte es sich wieder füllen, benachrichtigen wir Sie erneut.',
  greeting: 'Guten Tag,',
  tipsIntro: 'Was Sie tun können:',
  tips: [
    'Löschen Sie Nachrichten, die Sie nicht mehr brauchen, vor allem solche mit großen Anhängen, oder speichern Sie sie in einem Archiv auf Ihrem Computer und entfernen Sie sie danach vom Server.',
    'Leeren Sie den Papierkorb (und den Spam-Ordner). Gelöschte Nachrichten belegen so lange Platz, bis der Papierkorb geleert ist.',
    'Wenn Sie Ihre E-Mails nur an einem Computer lesen, können Sie Ihr E-Mail-Programm mit POP3 statt IMAP einrichten. Mit POP3 lädt das Programm neue Nachrichten auf diesen Computer herunter und entfernt sie vom Server (achten Sie darauf, dass „Kopie auf dem Server belassen“ ausgeschaltet ist); so belegen sie keinen Platz mehr in Ihrem Postfach. Der Nachteil: Diese Nachrichten liegen dann nur auf diesem Computer, nicht auf Ihrem Smartphone oder anderen Geräten. Mit IMAP bleibt jede Nachricht auf dem Server, bis Sie sie löschen, deshalb wächst ein IMAP-Postfach mit der Zeit.',
  ],
  linkIntro: 'Wie viel Platz Ihr Postfach belegt, sehen Sie im Kundenbereich:',
  linkLabel: 'Zum Kundenbereich',
  ownerLinkIntro: 'Melden Sie sich mit Ihrer E-Mail-Adresse und dem Passwort Ihres Postfachs an, um zu sehen, was Platz belegt, und ihn freizugeben:',
  ownerLinkLabel: 'Zu Ihrem Postfach',
  action: { Junk: 'Spam-Ordner leeren: gibt {size} frei', Trash: 'Papierkorb leeren: gibt {size} frei' },
  moreSpace: 'Oder mehr Speicherplatz anfragen',
  footer: 'Dies ist eine automatische Nachricht aus Ihrem Kundenbereich.',
};

const TEXTS: Record<AlertLanguage, Texts> = { en, de };

/** Replaces {name} with the value of a known name; anything else (and unknown names) stays as written. */
export function fillPlaceholders(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (Object.hasOwn(vars, name) ? vars[name] : m));
}

/** `owner`: the copy for the mailbox itself, whose link is its owner's own page. */
export function alertCopy(lang: AlertLanguage, situation: Situation, vars: CopyVars, owner = false): AlertCopy {
  const t = TEXTS[lang];
  const fill = (s: string) => fillPlaceholders(s, { ...vars });
  const usage = fill(t.usage[situation]) + (situation === 'free' ? ` ${fill(t.freeLeft)}` : '');
  const consequence = situation === 'recovered' ? t.recovered : situation === 'full' || situation === 'reminderFull' ? t.whileFull : t.beforeFull;
  const advise = situation !== 'recovered';
  return {
    subject: fill(t.subject[situation]),
    heading: t.heading[situation],
    status: t.status[situation],
    greeting: t.greeting,
    paragraphs: [usage, consequence],
    tipsIntro: advise ? t.tipsIntro : null,
    tips: advise ? t.tips : [],
    linkIntro: owner ? t.ownerLinkIntro : t.linkIntro,
    linkLabel: owner ? t.ownerLinkLabel : t.linkLabel,
    footer: t.footer,
  };
}

/** The words of a cleanup button in an email ("Empty Junk: frees 120 MB"). */
export function actionLabel(lang: AlertLanguage, folder: 'Junk' | 'Trash', size: string): string {
  return fillPlaceholders(TEXTS[lang].action[folder], { size });
}

/** The words of the link to request more space. */
export const moreSpaceLabel = (lang: AlertLanguage) => TEXTS[lang].moreSpace;
