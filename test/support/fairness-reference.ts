import { createHash } from 'node:crypto';

// An outsider's re-implementation of "fy-sha256-v1", written from the text of SPEC §2 alone with
// node:crypto (not the contract's code), so the tests show the published description suffices.

export function referenceCommitment(seedHex: string): string {
  return createHash('sha256').update(Buffer.from(seedHex, 'hex')).digest('hex');
}

export function referenceOrder(refs: string[], seedHex: string): string[] {
  const a = [...refs].sort();
  const seed = Buffer.from(seedHex, 'hex');
  const words: number[] = [];
  let counter = 0;
  const word = (): number => {
    if (words.length === 0) {
      const c = Buffer.alloc(4);
      c.writeUInt32BE(counter++);
      const h = createHash('sha256')
        .update(Buffer.concat([seed, c]))
        .digest();
      for (let k = 0; k < 8; k++) words.push(h.readUInt32BE(4 * k));
    }
    return words.shift()!;
  };
  for (let i = a.length - 1; i >= 1; i--) {
    const n = i + 1;
    // Reject the top 2^32 mod n words so that every j in [0, n) is equally likely.
    const cutoff = 2 ** 32 - (2 ** 32 % n);
    let w = word();
    while (w >= cutoff) w = word();
    const j = w % n;
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
