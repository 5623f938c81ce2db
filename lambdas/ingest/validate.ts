import { historyMessageSchema, type HistoryMessage } from '../../services/shared/history';
import { InvalidMessageError } from './errors';

/** Largest value of PostgreSQL's `integer`, the type of collection_status' counters. */
const PG_INT_MAX = 2_147_483_647;
/** Largest epoch ms a JavaScript Date (and so an ISO timestamp parameter) can hold. */
const MAX_TIME_MS = 8.64e15;
/** Zod issues quoted in an error: enough to locate the fault, bounded for log lines. */
const MAX_ISSUES = 5;

/**
 * Parses and validates one SQS body against the shared contract. Beyond the
 * schema it rejects values the schema allows but the columns cannot hold, so a
 * single bad record fails alone here instead of failing the batch's bulk write.
 */
export function parseHistoryMessage(body: string): HistoryMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new InvalidMessageError(`body is not JSON (${body.length} bytes)`, { cause: error });
  }
  const result = historyMessageSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, MAX_ISSUES)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new InvalidMessageError(`body does not match the history message schema: ${issues}`);
  }
  const message = result.data;
  if (message.kind === 'rates') {
    for (const row of message.rows) {
      if (row[0] > MAX_TIME_MS || row[7] > MAX_TIME_MS) throw new InvalidMessageError(`row ${row[1]} has a time beyond the representable range`);
    }
  } else {
    if (message.at > MAX_TIME_MS) throw new InvalidMessageError('status snapshot time is beyond the representable range');
    for (const connection of message.connections) {
      if ((connection.lastMessageAt ?? 0) > MAX_TIME_MS) throw new InvalidMessageError(`lastMessageAt of connection ${connection.connectionId} is beyond the representable range`);
      if (connection.streams > PG_INT_MAX || connection.reconnects > PG_INT_MAX || connection.errors > PG_INT_MAX) {
        throw new InvalidMessageError(`status counters of connection ${connection.connectionId} exceed the integer column range`);
      }
    }
  }
  return message;
}
