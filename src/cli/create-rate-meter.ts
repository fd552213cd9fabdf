/**
 * A rate over a sliding window: fed a growing total with the time it was read, it answers units per second over
 * (at least) the last `windowMs`, or null before it has two readings apart in time. A total that went down (a
 * stream's attempt started over) reads as 0, never negative.
 */
export function createRateMeter(windowMs: number): (total: number, atMs: number) => number | null {
  const readings: { total: number; atMs: number }[] = [];
  return (total, atMs) => {
    readings.push({ total, atMs });
    // Keep the newest reading that is at least windowMs old as the window's start.
    while (readings.length > 2 && atMs - readings[1]!.atMs >= windowMs) readings.shift();
    const first = readings[0]!;
    if (atMs <= first.atMs) return null;
    return Math.max(0, ((total - first.total) * 1000) / (atMs - first.atMs));
  };
}
