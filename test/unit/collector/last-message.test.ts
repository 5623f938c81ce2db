import { newestMessageAt } from '../../../services/collector';

describe('newestMessageAt', () => {
  it('is the newest frame of any connection', () => {
    // Prepare
    const connections = [{ lastMessageAt: 1_000 }, { lastMessageAt: null }, { lastMessageAt: 5_000 }, { lastMessageAt: 3_000 }];

    // Act
    const newest = newestMessageAt(connections);

    // Assert
    expect(newest).toBe(new Date(5_000).toISOString());
  });

  it('is empty before any connection received a frame', () => {
    // Act / Assert
    expect(newestMessageAt([{ lastMessageAt: null }])).toBe('');
    expect(newestMessageAt([])).toBe('');
  });
});
