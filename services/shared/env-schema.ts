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
