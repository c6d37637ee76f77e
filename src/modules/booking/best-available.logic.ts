import { randomInt } from 'node:crypto';
import type { Grade } from '../catalogue/catalogue.entities.js';

/** A seat as the picker sees it (from the seat map). */
export interface PickableSeat {
  id: number;
  label: string;
  grade: Grade;
  status: string;
}

/** How many of the best blocks a pick chooses among, so a storm of fans spreads over blocks. */
export const SPREAD = 8;

const LABEL = /^(.*)-(\d+)$/;

interface Block {
  seatIds: number[];
  rowRank: number;
  /** Distance of the block's centre from its row's middle, in seats. */
  offCentre: number;
}

/**
 * Blocks of `count` adjacent available seats (same row label prefix, consecutive numbers, all of
 * `grade` when given), best first: the lowest row (rows in venue order: the row of the lowest
 * seat id is nearest the stage), then the block nearest the row's middle (SPEC §2).
 */
export function candidateBlocks(seats: PickableSeat[], count: number, grade?: Grade): Block[] {
  const rows = new Map<string, { firstId: number; numbers: Map<number, PickableSeat> }>();
  for (const seat of seats) {
    const m = LABEL.exec(seat.label);
    if (!m) continue;
    const row = rows.get(m[1]!) ?? { firstId: seat.id, numbers: new Map() };
    row.firstId = Math.min(row.firstId, seat.id);
    row.numbers.set(Number(m[2]), seat);
    rows.set(m[1]!, row);
  }
  const ordered = [...rows.values()].sort((a, b) => a.firstId - b.firstId);
  const blocks: Block[] = [];
  ordered.forEach((row, rowRank) => {
    const numbers = [...row.numbers.keys()].sort((a, b) => a - b);
    const middle = (numbers[0]! + numbers.at(-1)!) / 2;
    for (const start of numbers) {
      const block: number[] = [];
      for (let n = start; n < start + count; n++) {
        const seat = row.numbers.get(n);
        if (!seat || seat.status !== 'available' || (grade && seat.grade !== grade)) break;
        block.push(seat.id);
      }
      if (block.length === count)
        blocks.push({
          seatIds: block,
          rowRank,
          offCentre: Math.abs(start + (count - 1) / 2 - middle),
        });
    }
  });
  return blocks.sort((a, b) => a.rowRank - b.rowRank || a.offCentre - b.offCentre);
}

/**
 * The seats to hold: one of the SPREAD best blocks, drawn at random with the better ones more
 * likely (weight SPREAD − rank). Every fan of a storm reads the same map; always taking the very
 * best block would send them all after the same seats, and all but one would be refused.
 * Null when no block exists.
 */
export function pickBlock(
  seats: PickableSeat[],
  count: number,
  grade?: Grade,
  random: (n: number) => number = randomInt,
): number[] | null {
  const best = candidateBlocks(seats, count, grade).slice(0, SPREAD);
  if (best.length === 0) return null;
  const weights = best.map((_, rank) => SPREAD - rank);
  let r = random(weights.reduce((a, b) => a + b, 0));
  for (const [i, w] of weights.entries()) {
    if (r < w) return best[i]!.seatIds;
    r -= w;
  }
  return best[0]!.seatIds;
}
