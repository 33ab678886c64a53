/** Formats a USD amount for people: cents from a dollar up, four decimals below, so small vault bills stay visible. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0.00';
  if (usd < 0) return `-${formatUsd(-usd)}`;
  if (usd >= 1) return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  if (usd < 0.00005) return 'under $0.0001';
  return `$${usd.toFixed(4)}`;
}
