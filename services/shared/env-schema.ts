import { z } from 'zod';

/** An environment variable holding a URL with one of `protocols` (`['redis:', 'rediss:']`). */
export const urlVariable = (protocols: string[]) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

/** An integer variable given as text, within bounds; `abc` is refused, not read as NaN. */
export const integerVariable = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
