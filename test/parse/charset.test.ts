import { describe, expect, it } from 'vitest';
import { decodeText, isKnownCharset } from '../../lambda/parse/charset.js';

const b = (hex: string) => Buffer.from(hex.replace(/\s/g, ''), 'hex');

describe('charsets real mail uses decode, or are reported; none throws', () => {
  it.each([
    ['iso-2022-jp', b('1b2442 2446 2439 2448 1b2842'), 'てすと'],
    ['ISO-2022-JP', b('1b2442 3b33 4544 1b2842'), '山田'],
    ['shift_jis', b('82b1 82f1'), 'こん'],
    ['windows-1251', b('cff0 e8e2 e5f2'), 'Привет'],
    ['koi8-r', b('f0d2 c9d7 c5d4'), 'Привет'],
    ['gbk', b('c4fa bac3'), '您好'],
    ['gb2312', b('c4fa bac3'), '您好'],
    ['big5', b('a741 a66e'), '你好'],
    ['euc-kr', b('bec8 b3e7'), '안녕'],
    ['iso-8859-1', b('80 e9'), '€é'],
    ['windows-1252', b('93 41 94'), '“A”'],
    ['"UTF-8"', b('c3a9'), 'é'],
  ])('%s', (label, bytes, text) => {
    expect(decodeText(bytes, label)).toMatchObject({ text, how: 'labelled' });
  });

  it('no label: UTF-8 when valid, else the fallback charset', () => {
    expect(decodeText(b('c3a9'), undefined)).toMatchObject({ text: 'é', how: 'guessed', charset: 'utf-8' });
    expect(decodeText(b('cff0'), undefined, 'windows-1251')).toMatchObject({ text: 'Пр', charset: 'windows-1251' });
    expect(decodeText(b('e9'), undefined)).toMatchObject({ text: 'é', charset: 'windows-1252' });
    expect(decodeText(b('e9'), 'us-ascii')).toMatchObject({ text: 'é', how: 'guessed' });
  });

  it('unknown and refused labels are reported as unknown, decoded as UTF-8 / windows-1252', () => {
    for (const label of ['x-klingon', 'utf-7', 'UNICODE-1-1-UTF-7', 'base64', '__proto__', 'constructor', '']) {
      const r = decodeText(b('2b4144772d'), label);
      expect(r.text).toBe('+ADw-');
      if (label) expect(r.how).toBe('unknown');
    }
    expect(isKnownCharset('utf-7')).toBe(false);
    expect(isKnownCharset('gb18030')).toBe(true);
  });
});
