import { z } from 'zod';
import { ConfigError, EnvironmentError, integerVariable, loadEnv } from '../../../services/shared';

const schema = z.object({
  PORT: integerVariable(1, 65_535).default(8080),
  MODE: z.enum(['fast', 'safe']).default('safe'),
  DATABASE_URL: z.string().url().optional(),
  REDIS_PASSWORD: z.string().min(8).optional(),
});

function thrown(action: () => unknown): EnvironmentError {
  try {
    action();
  } catch (error) {
    if (error instanceof EnvironmentError) return error;
    throw error;
  }
  throw new Error('expected an EnvironmentError, but nothing was thrown');
}

describe('loadEnv', () => {
  it('returns the parsed values with defaults', () => {
    // Act
    const env = loadEnv(schema, { PORT: '3000', OTHER: 'ignored' });

    // Assert
    expect(env).toEqual({ PORT: 3000, MODE: 'safe' });
  });

  it('names every bad variable with its value and problem in one error', () => {
    // Act
    const error = thrown(() => loadEnv(schema, { PORT: 'abc', MODE: 'reckless' }, { component: 'test' }));

    // Assert
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.problems.map((p) => p.variable)).toEqual(['PORT', 'MODE']);
    expect(error.message).toMatch(/^Invalid test configuration; fix these environment variables: PORT="abc": .+; MODE="reckless": .+/);
    expect(error.cause).toBeInstanceOf(z.ZodError);
  });

  it('hides the value of a secret and the password in a URL', () => {
    // Act
    const error = thrown(() => loadEnv(schema, { DATABASE_URL: 'postgres://mdc:hunter2@', REDIS_PASSWORD: 'short' }));

    // Assert
    expect(error.message).toContain('REDIS_PASSWORD (value hidden)');
    expect(error.message).toContain('DATABASE_URL="postgres://mdc:***@"');
    expect(error.message).not.toMatch(/hunter2|short/);
  });

  it('treats empty strings as unset only when asked', () => {
    // Act
    const lenient = loadEnv(schema, { PORT: '', MODE: '' }, { emptyAsUnset: true });
    const strict = thrown(() => loadEnv(schema, { MODE: '' }));

    // Assert
    expect(lenient).toEqual({ PORT: 8080, MODE: 'safe' });
    expect(strict.problems.map((p) => p.variable)).toEqual(['MODE']);
  });

  it('reports a check across variables under the variable it names', () => {
    // Prepare
    const ranged = z
      .object({ LOW: integerVariable(0, 100), HIGH: integerVariable(0, 100) })
      .refine((env) => env.LOW < env.HIGH, { path: ['LOW'], message: 'must be less than HIGH' });

    // Act
    const error = thrown(() => loadEnv(ranged, { LOW: '7', HIGH: '3' }));

    // Assert
    expect(error.problems).toEqual([{ variable: 'LOW', problem: 'must be less than HIGH' }]);
  });
});
