// The figures a bench run records, and the arithmetic its cases share.

export interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: string;
  met?: boolean;
  note?: string;
}

/** Every figure this run recorded, in order. */
export const figures: Figure[] = [];

export const record = (figure: Figure) => {
  figures.push(figure);
  console.log(
    `  ${figure.name}: ${figure.value} ${figure.unit}${figure.target ? ` (target ${figure.target}: ${figure.met ? 'met' : 'NOT met'})` : ''}`,
  );
};

/** A ratio against its ceiling. */
export const recordRatio = (name: string, ratio: number, max: number, digits: number) => {
  record({ name, value: round(ratio, digits), unit: '×', target: `≤ ${max}`, met: ratio <= max });
};

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export const round = (n: number, digits = 0) => Number(n.toFixed(digits));
