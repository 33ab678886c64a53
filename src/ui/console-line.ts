/**
 * One terminal, two writers: the progress bar redraws its line on stderr while the run
 * logger prints lines to stdout and stderr. A line written while a bar is drawn would be
 * glued to the bar's text, so every console line goes through `writeConsoleLine`, which
 * clears the bar first and redraws it below the new line. The registry is module state
 * because it stands for the process's one terminal.
 */

/** A bar currently drawn on the terminal. */
export interface ActiveBar {
  /** Erases the bar's line and leaves the cursor at its start. */
  clear(): void;
  /** Draws the bar again at the cursor. */
  redraw(): void;
}

/** Where a console line goes: process.stdout/stderr, or a test's collector. */
export interface LineWriter {
  write(s: string): unknown;
}

let active: ActiveBar | undefined;

/** Registers the bar being drawn (undefined when it is gone). */
export function setActiveBar(bar: ActiveBar | undefined): void {
  active = bar;
}

/** Writes `text` (whole lines, ending in a newline) without tearing an active bar. */
export function writeConsoleLine(out: LineWriter, text: string): void {
  const bar = active;
  if (!bar) {
    out.write(text);
    return;
  }
  bar.clear();
  out.write(text);
  bar.redraw();
}
