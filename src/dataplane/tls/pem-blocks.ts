// Splits PEM text into its blocks without regular expressions (the text is tenant data, and a
// scan by indexOf has no pathological inputs). Only the label and the full block text are kept.

export interface PemBlock {
  label: string; // 'CERTIFICATE', 'PRIVATE KEY', 'EC PRIVATE KEY' ...
  text: string; // '-----BEGIN ...-----' through '-----END ...-----', newline-terminated
}

const BEGIN = '-----BEGIN ';
const END = '-----END ';
const DASHES = '-----';

export function pemBlocks(pem: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let from = 0;
  for (;;) {
    const begin = pem.indexOf(BEGIN, from);
    if (begin === -1) return blocks;
    const labelEnd = pem.indexOf(DASHES, begin + BEGIN.length);
    if (labelEnd === -1) return blocks;
    const label = pem.slice(begin + BEGIN.length, labelEnd);
    const endMarker = `${END}${label}${DASHES}`;
    const end = pem.indexOf(endMarker, labelEnd + DASHES.length);
    if (end === -1) return blocks;
    const stop = end + endMarker.length;
    blocks.push({ label, text: pem.slice(begin, stop) + '\n' });
    from = stop;
  }
}
