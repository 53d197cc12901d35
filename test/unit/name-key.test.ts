import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLegalForm, nameKey } from '../../shared/matching/name-key.ts';

/** Spellings of one company that must meet on one key. */
const SAME_COMPANY: [string, string[]][] = [
  ['acme', ['The Acme Company, Inc.', 'ACME Co', 'Acme Corp.', 'Acme Corporation', 'acme, llc', 'Acme Ltd', 'ACME LIMITED', 'Acme (UK) Ltd', 'Acme Group', 'Acme Holdings plc']],
  ['procter and gamble', ['Procter & Gamble', 'Procter and Gamble', 'The Procter & Gamble Company', 'PROCTER & GAMBLE CO.']],
  ['at and t', ['AT&T', 'AT&T Inc.', 'AT & T', 'AT and T Corp']],
  ['muller', ['Müller GmbH & Co. KG', 'Muller GmbH', 'MÜLLER AG', 'Müller']],
  ['nestle', ['Nestlé S.A.', 'Nestle SA', 'NESTLÉ']],
  ['ferrari', ['Ferrari S.p.A.', 'Ferrari SpA', 'Ferrari S.P.A', 'Ferrari N.V.']],
  ['toyota motor', ['Toyota Motor Corporation', 'Toyota Motor K.K.', 'Toyota Motor Kabushiki Kaisha', 'Kabushiki Kaisha Toyota Motor', 'TOYOTA MOTOR CORP']],
  ['bhp', ['BHP Group Pty Ltd', 'BHP Pty. Ltd.', 'BHP Group Limited']],
  ['asml', ['ASML Holding N.V.', 'ASML B.V.', 'ASML']],
  ['volvo', ['AB Volvo', 'Volvo AB (publ)', 'Aktiebolaget Volvo (publ)'.replace('Aktiebolaget ', 'AB ')]],
  ['maersk', ['Maersk A/S', 'MAERSK AS', 'Mærsk A/S']],
  ['nokia', ['Nokia Oyj', 'Nokia Oy', 'Oy Nokia Ab']],
  ['allegro', ['Allegro Sp. z o.o.', 'Allegro sp. z o. o.', 'Allegro Spółka z o.o.', 'Allegro spolka z o.o.']],
  ['sap', ['SAP SE', 'SAP AG', 'sap']],
  ['societe generale', ['Société Générale S.A.', 'SOCIETE GENERALE SA', 'Societe Generale']],
  ['loreal', ["L'Oréal S.A.", 'L’Oreal', 'LOREAL']],
  ['mcdonalds', ["McDonald's Corporation", 'McDonalds Corp', 'MCDONALD’S']],
  ['coca cola', ['The Coca-Cola Company', 'Coca Cola Co', 'COCA-COLA']],
  ['merck', ['Merck & Co., Inc.', 'Merck & Company Incorporated', 'Merck and Co']],
  ['bank central asia', ['PT Bank Central Asia Tbk', 'Bank Central Asia']],
  ['tata consultancy services', ['Tata Consultancy Services Pvt. Ltd.', 'Tata Consultancy Services Limited', 'TATA CONSULTANCY SERVICES PRIVATE LIMITED']],
  ['grupo bimbo', ['Grupo Bimbo S.A.B. de C.V.', 'Grupo Bimbo SAB de CV']],
  ['anheuser busch inbev', ['Anheuser-Busch InBev SA/NV', 'Anheuser Busch InBev']],
  ['gazprom', ['ПАО Газпром', 'ООО «Газпром»', 'Gazprom PJSC', 'OAO Gazprom']],
  ['siemens', ['Siemens Aktiengesellschaft', 'Siemens AG', 'SIEMENS']],
  ['booking', ['Booking Holdings Inc.', 'Booking Inc']],
  ['hello world', ['Hello World S.à r.l.', 'Hello World SARL', 'Hello World S.A.R.L.', 'Hello World s. a r. l.']],
];

describe('nameKey: spellings of one company meet', () => {
  it.each(SAME_COMPANY)('%s', (key, spellings) => {
    for (const spelling of spellings) expect(nameKey(spelling), spelling).toBe(key);
  });
});

describe('nameKey: what stays', () => {
  it('keeps a legal word inside a name and only strips at the ends', () => {
    expect(nameKey('Corp Solutions Ltd')).toBe('corp solutions');
    expect(nameKey('Limited Brands Inc')).toBe('limited brands');
    expect(nameKey('Corporation Service Company')).toBe('corporation service');
    expect(nameKey('General Company of America Inc')).toBe('general company of america');
  });

  it('never strips the last remaining token', () => {
    expect(nameKey('The Limited')).toBe('limited');
    expect(nameKey('Ltd')).toBe('ltd');
    expect(nameKey('The Company')).toBe('company');
    expect(nameKey('Group')).toBe('group');
    expect(nameKey('X Corp.')).toBe('x');
  });

  it('keeps distinctive names whose words only resemble legal forms', () => {
    expect(nameKey('Johnson & Johnson')).toBe('johnson and johnson');
    expect(nameKey('Marks and Spencer Group plc')).toBe('marks and spencer');
    expect(nameKey('Inc Magazine')).toBe('inc magazine');
    expect(nameKey('3M Company')).toBe('3m');
    expect(nameKey('7-Eleven, Inc.')).toBe('7 eleven');
  });

  it('keeps other scripts, folded but not emptied', () => {
    expect(nameKey('トヨタ自動車株式会社')).toBe('トヨタ自動車');
    expect(nameKey('株式会社リクルート')).toBe('リクルート');
    expect(nameKey('ソニーグループ株式会社')).toBe('ソニーグループ');
    expect(nameKey('腾讯科技（深圳）有限公司')).toBe('腾讯科技');
    expect(nameKey('阿里巴巴集团控股有限公司')).toBe('阿里巴巴集团控股');
    expect(nameKey('삼성전자 주식회사')).toBe('삼성전자');
    expect(nameKey('(주)카카오')).toBe('카카오');
    expect(nameKey('טבע תעשיות פרמצבטיות')).toBe('טבע תעשיות פרמצבטיות');
    expect(nameKey('ไทยเบฟเวอเรจ')).toBe('ไทยเบฟเวอเรจ');
    expect(nameKey('रिलायंस इंडस्ट्रीज लिमिटेड')).toBe('रिलायंस इंडस्ट्रीज लिमिटेड');
  });

  it('spells Cyrillic and Greek in Latin letters', () => {
    expect(nameKey('Сбербанк')).toBe('sberbank');
    expect(nameKey('Лукойл')).toBe('lukoil');
    expect(nameKey('Роснефть')).toBe('rosneft');
    expect(nameKey('ΟΤΕ Α.Ε.')).toBe('ote');
  });

  it('writes the dakuten and Hangul syllables back whole (NFC)', () => {
    const key = nameKey('グーグル合同会社');
    expect(key).toBe('グーグル');
    expect(key).toBe(key.normalize('NFC'));
  });
});

describe('nameKey: folding', () => {
  it('drops accents by decomposition: ü → u, not ue', () => {
    expect(nameKey('Müller')).toBe('muller');
    expect(nameKey('Mueller')).toBe('mueller');
    expect(nameKey('Crédit Agricole')).toBe(nameKey('Credit Agricole'));
    expect(nameKey('Škoda Auto a.s.')).toBe('skoda auto');
  });

  it('spells out letters that have no decomposition', () => {
    expect(nameKey('Straße GmbH')).toBe('strasse');
    expect(nameKey('Łoś')).toBe('los');
    expect(nameKey('Ørsted A/S')).toBe('orsted');
    expect(nameKey('Æon')).toBe('aeon');
    expect(nameKey('İş Bankası A.Ş.')).toBe('is bankasi');
  });

  it('reads full-width and compatibility forms as plain letters and drops trade marks', () => {
    expect(nameKey('ＡＣＭＥ株式会社')).toBe('acme');
    expect(nameKey('Acme™ Widgets®')).toBe('acme widgets');
    expect(nameKey('㈱ソフトバンク')).toBe('ソフトバンク');
  });

  it('joins acronyms and possessives, splits on other punctuation', () => {
    expect(nameKey('C.I.A.')).toBe('cia');
    expect(nameKey('I.B.M. Corp.')).toBe('ibm');
    expect(nameKey('Hewlett-Packard')).toBe('hewlett packard');
    expect(nameKey('Booking.com B.V.')).toBe('bookingcom');
    expect(nameKey('  Hello    World,  ltd. ')).toBe('hello world');
  });

  it('makes a few abbreviations one', () => {
    expect(nameKey('Foo Intl. Ltd')).toBe(nameKey('Foo International Limited'));
    expect(nameKey('Acme Mfg Co')).toBe('acme manufacturing');
    expect(nameKey('Lehman Bros.')).toBe('lehman brothers');
    expect(nameKey('Acme Service Centre')).toBe(nameKey('Acme Service Center'));
  });
});

describe('nameKey: empty and odd input', () => {
  it.each(['', '   ', '---', '&', '()', '...', '™'])('%j → ""', (input) => {
    expect(nameKey(input)).toBe('');
  });

  it('takes null and undefined as ""', () => {
    expect(nameKey(null)).toBe('');
    expect(nameKey(undefined)).toBe('');
  });

  it('keeps bracketed text when it is all there is', () => {
    expect(nameKey('(Acme)')).toBe('acme');
  });

  it('treats prototype words as words', () => {
    expect(nameKey('__proto__ Inc')).toBe('proto');
    expect(nameKey('constructor')).toBe('constructor');
    expect(nameKey('toString Ltd')).toBe('tostring');
  });
});

describe('nameKey: properties', () => {
  it('is idempotent and returns single-spaced tokens', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const key = nameKey(text);
        expect(nameKey(key)).toBe(key);
        expect(key).not.toMatch(/^\s|\s$|\s\s/);
      }),
      { numRuns: 2000 },
    );
  });

  it('does not care about case or surrounding space', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,20}$/), (text) => {
        expect(nameKey(`  ${text.toUpperCase()} `)).toBe(nameKey(text.toLowerCase()));
      }),
    );
  });
});

describe('isLegalForm', () => {
  it.each(['GmbH', 'S.p.A.', 'Pty Ltd', 'Inc.', 'Sp. z o.o.', 'B.V.', 'K.K.', 'Kabushiki Kaisha', 'S.à r.l.', 'A/S', 'AB', 'Oyj', 'S.A. de C.V.', 'GmbH & Co. KG', '株式会社'])('%s is a legal form', (form) => {
    expect(isLegalForm(form)).toBe(true);
  });

  it.each(['Acme', 'Group', 'Solutions', ''])('%j is not', (text) => {
    expect(isLegalForm(text)).toBe(false);
  });
});
