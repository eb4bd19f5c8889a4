// German texts of the webhooks pages and of what the webhook service says, keyed by the English original.
export const webhooksDe: Record<string, string> = {
  Webhooks: 'Webhooks',
  Webhook: 'Webhook',
  'New webhook': 'Neuer Webhook',
  'Create webhook': 'Webhook anlegen',
  'No webhooks yet.': 'Noch keine Webhooks.',
  'Address (URL)': 'Adresse (URL)',
  Events: 'Ereignisse',
  Event: 'Ereignis',
  Off: 'Aus',
  'failing since {date}': 'fehlerhaft seit {date}',
  'A public https address of your system, like https://billing.example.com/hooks/mailpanel':
    'Eine öffentliche https-Adresse Ihres Systems, etwa https://billing.example.com/hooks/mailpanel',
  "Webhooks tell your systems at once when a mailbox nears or reaches its quota, or is created, changed or deleted. Each event is signed, retried for a day when your address does not answer, and listed in the webhook's delivery log.":
    'Webhooks melden Ihren Systemen sofort, wenn ein Postfach seinen Speicherplatz fast oder ganz erreicht oder angelegt, geändert oder gelöscht wird. Jedes Ereignis ist signiert, wird einen Tag lang erneut versucht, wenn Ihre Adresse nicht antwortet, und steht im Zustellprotokoll des Webhooks.',
  'The signing secret of the new webhook — copy it now, it will not be shown again:':
    'Das Signaturgeheimnis des neuen Webhooks – kopieren Sie es jetzt, es wird nicht noch einmal angezeigt:',
  'Every delivery carries webhook-id, webhook-timestamp and webhook-signature headers (Standard Webhooks): verify them with this secret.':
    'Jede Zustellung trägt die Header webhook-id, webhook-timestamp und webhook-signature (Standard Webhooks): Prüfen Sie sie mit diesem Geheimnis.',
  'Delivery log': 'Zustellprotokoll',
  Answer: 'Antwort',
  'Send again': 'Erneut senden',
  'Nothing was sent yet.': 'Noch nichts gesendet.',
  'Switched off: {reason}.': 'Abgeschaltet: {reason}.',
  'every delivery failed for a day': 'jede Zustellung schlug einen Tag lang fehl',
  'one attempt': 'ein Versuch',
  '{n} attempts': '{n} Versuche',
  'The webhook is on again.': 'Der Webhook ist wieder eingeschaltet.',
  'The webhook is off: no deliveries until it is switched on.': 'Der Webhook ist ausgeschaltet: keine Zustellungen, bis er eingeschaltet wird.',
  'The delivery is being sent again.': 'Die Zustellung wird erneut gesendet.',
  'No more events are sent to this address, and its delivery log is deleted with it.':
    'An diese Adresse werden keine Ereignisse mehr gesendet, und ihr Zustellprotokoll wird mit gelöscht.',
  'Choose at least one event.': 'Wählen Sie mindestens ein Ereignis.',
  'Choose events from the list.': 'Wählen Sie Ereignisse aus der Liste.',
  'Delivery was not found.': 'Die Zustellung wurde nicht gefunden.',
  'Webhook was not found.': 'Der Webhook wurde nicht gefunden.',
  'The URL must point to a public address; private, loopback and link-local addresses are refused.':
    'Die URL muss auf eine öffentliche Adresse zeigen; private, Loopback- und Link-Local-Adressen werden abgelehnt.',
  delivered: 'zugestellt',
  retrying: 'wird wiederholt',
};
