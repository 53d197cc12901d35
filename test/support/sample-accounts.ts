/** Two small CRM exports, as lines, with the usual mess: URLs, e-mails, IDNs, legal forms, empty and bad cells. */
export const SAMPLE_A_LINES: readonly string[] = [
  'Account Name,Website,Type,Country',
  'Acme Corp,https://www.acme.com/about,Customer,US',
  'ACME Inc.,acme.com,Prospect,',
  'Globex,,Prospect,DE',
  '"Initech, LLC",initech.com,Opportunity,US',
  'Müller & Söhne GmbH,müller.de,Customer,DE',
  'Hooli,hooli.com,Prospect,US',
  'Umbrella Corporation,umbrella.co.uk,Customer,GB',
  'Stark Industries,,Opportunity,US',
  'Wayne Enterprises,wayne.com,Customer,US',
  'Soylent,jane@soylent.com,Prospect,',
  'Bad Row,not a website,Customer,US',
];

export const SAMPLE_B_LINES: readonly string[] = ['Company,Domain,Status', 'acme,acme.com,Opportunity', 'Globex,,Customer', 'Initech,initech.de,Customer', 'Mueller und Soehne,mueller.de,Prospect'];
