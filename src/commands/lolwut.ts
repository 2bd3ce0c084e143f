/**
 * LOLWUT [VERSION v] [...]: computer art and the version, as Redis 7.2 draws
 * it. Without VERSION (or with one other than 5 and 6) it is the bare
 * "Redis ver. 7.2.4" line; VERSION 5 is Georg Nees's "Schotter" in braille
 * dots, VERSION 6 a city skyline in the terminal's four grays. Both are
 * random, as in Redis (its rand(), seeded at start-up), except Schotter's
 * first two rows of squares; the drawing follows Redis's arithmetic (its
 * float stores, C's truncating conversions and round()) step for step, so
 * those rows match Redis's bytes.
 */
import type { CommandDef, Ctx } from "./types.js";
import { NOT_INT } from "./errors.js";
import { parseI64, parseI64Big } from "../protocol/numbers.js";
import { REDIS_VERSION } from "../version.js";

/** C's rand(): 0..RAND_MAX (2^31 - 1). */
const rand = (): number => Math.floor(Math.random() * 2147483648);
const RAND_MAX = 2147483647;
/** C's round(): halves away from zero. */
const cRound = (x: number): number => Math.sign(x) * Math.round(Math.abs(x));
/** A C float store. */
const f32 = Math.fround;

/** A width x height grid of colors, 0 outside it (Redis's lwCanvas). */
class Canvas {
  readonly pixels: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
    bg: number,
  ) {
    this.pixels = new Uint8Array(width * height).fill(bg);
  }
  set(x: number, y: number, color: number): void {
    if (x >= 0 && x < this.width && y >= 0 && y < this.height) this.pixels[x + y * this.width] = color;
  }
  get(x: number, y: number): number {
    return x >= 0 && x < this.width && y >= 0 && y < this.height ? this.pixels[x + y * this.width] : 0;
  }
  /** Bresenham's line. */
  line(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    for (;;) {
      this.set(x1, y1, color);
      if (x1 === x2 && y1 === y2) break;
      const e2 = err * 2;
      if (e2 > -dy) {
        err -= dy;
        x1 += sx;
      }
      if (e2 < dx) {
        err += dx;
        y1 += sy;
      }
    }
  }
  /** A square centred at x,y, `size` across, turned by `angle` radians. */
  square(x: number, y: number, size: number, angle: number, color: number): void {
    size = f32(cRound(f32(size / 1.4142135623)));
    const px: number[] = [];
    const py: number[] = [];
    let k = f32(Math.PI / 4 + angle);
    for (let j = 0; j < 4; j++) {
      px.push(cRound(Math.sin(k) * size + x));
      py.push(cRound(Math.cos(k) * size + y));
      k = f32(k + Math.PI / 2);
    }
    for (let j = 0; j < 4; j++) this.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], color);
  }
}

/** Schotter: rows of squares, more disordered the lower they are. */
function schotter(cols: number, perRow: number, perCol: number): Canvas {
  const width = cols * 2;
  const padding = width > 4 ? 2 : 0;
  const side = f32((width - padding * 2) / perRow);
  const canvas = new Canvas(width, Math.trunc(f32(f32(side * perCol) + padding * 2)), 0);
  // (float)rand() / (float)RAND_MAX / squares_per_col * y, in floats.
  const jitter = (y: number): number => f32(f32(f32(f32(rand()) / f32(RAND_MAX)) / perCol) * y);
  for (let y = 0; y < perCol; y++) {
    for (let x = 0; x < perRow; x++) {
      let sx = Math.trunc(f32(f32(f32(x * side) + f32(side / 2)) + padding));
      let sy = Math.trunc(f32(f32(f32(y * side) + f32(side / 2)) + padding));
      let angle = 0;
      if (y > 1) {
        let r1 = jitter(y);
        let r2 = jitter(y);
        let r3 = jitter(y);
        if (rand() % 2) r1 = -r1;
        if (rand() % 2) r2 = -r2;
        if (rand() % 2) r3 = -r3;
        angle = r1;
        sx = Math.trunc(f32(sx + f32(f32(r2 * side) / 3)));
        sy = Math.trunc(f32(sy + f32(f32(r3 * side) / 3)));
      }
      canvas.square(sx, sy, side, angle, 1);
    }
  }
  return canvas;
}

/** Each braille dot's pixel (x, y offsets in its 2x4 cell), by bit: 0 3 / 1 4 / 2 5 / 6 7. */
const BRAILLE_DOTS = [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2], [0, 3], [1, 3]];

/** The canvas as braille characters, each 2x4 pixels. */
function brailleText(canvas: Canvas): string {
  let text = "";
  for (let y = 0; y < canvas.height; y += 4) {
    for (let x = 0; x < canvas.width; x += 2) {
      let byte = 0;
      BRAILLE_DOTS.forEach(([dx, dy], bit) => {
        if (canvas.get(x + dx, y + dy)) byte |= 1 << bit;
      });
      text += String.fromCharCode(0x2800 + byte);
    }
    if (y !== canvas.height - 1) text += "\n";
  }
  return text;
}

/** Foreground and background escape per color: black, two grays, white. */
const GRAYS = ["0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m"];

function grayText(canvas: Canvas): string {
  let text = "";
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) text += `\x1b[${GRAYS[canvas.get(x, y)] ?? GRAYS[0]} \x1b[0m`;
    if (y !== canvas.height - 1) text += "\n";
  }
  return text;
}

interface Skyscraper {
  xoff: number;
  width: number;
  height: number;
  windows: boolean;
  color: number;
}

function skyscraper(canvas: Canvas, s: Skyscraper): void {
  const starty = canvas.height - 1;
  const endy = starty - s.height + 1;
  for (let y = starty; y >= endy; y--) {
    for (let x = s.xoff; x < s.xoff + s.width; x++) {
      // The roof is four pixels narrower.
      if (y === endy && (x <= s.xoff + 1 || x >= s.xoff + s.width - 2)) continue;
      let color = s.color;
      if (s.windows && x > s.xoff + 1 && x < s.xoff + s.width - 2 && y > endy + 1 && y < starty - 1) {
        const relx = x - (s.xoff + 1);
        const rely = y - (endy + 1);
        // Windows two pixels wide and one tall (a terminal's pixels are not square), both halves one color.
        if (Math.trunc(relx / 2) % 2 && rely % 2) {
          do color = 1 + (rand() % 2);
          while (color === s.color);
          if (relx % 2) color = canvas.get(x - 1, y);
        }
      }
      canvas.set(x, y, color);
    }
  }
}

/** C's `rand() % n / d`, evaluated left to right as C does (n, the canvas height, is at least 1). */
const randModDiv = (n: number, d: number): number => Math.trunc((rand() % n) / d);

function skyline(canvas: Canvas): void {
  const h = canvas.height;
  // Background towers without windows, the lighter gray behind.
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < canvas.width; ) {
      offset += rand() % 8;
      const width = 10 + (rand() % 9);
      const height = Math.trunc(h / 2) + (color === 2 ? randModDiv(h, 2) : randModDiv(h, 3));
      skyscraper(canvas, { xoff: offset, width, height, windows: false, color });
      offset += color === 2 ? Math.trunc(width / 2) : width + 1;
    }
  }
  // The foreground, black with windows.
  for (let offset = -10; offset < canvas.width; ) {
    offset += rand() % 8;
    let width = 5 + (rand() % 14);
    if (width % 4) width += width % 3;
    const height = Math.trunc(h / 3) + randModDiv(h, 2);
    skyscraper(canvas, { xoff: offset, width, height, windows: true, color: 0 });
    offset += width + 5;
  }
}

/** Integer arguments in order, clamped to [min, max] each; an error text for one that is not an integer. */
function sizes(args: Buffer[], defaults: number[], limits: [number, number][]): number[] | string {
  const out = [...defaults];
  for (let i = 0; i < defaults.length && i < args.length; i++) {
    const n = parseI64(args[i]);
    if (n === null) return NOT_INT;
    out[i] = Math.min(limits[i][1], Math.max(limits[i][0], n));
  }
  return out;
}

function lolwut(c: Ctx): void {
  let args = c.argv.slice(1);
  let version = 7;
  if (c.argv.length >= 3 && c.argv[1].toString().toLowerCase() === "version") {
    const v = parseI64Big(c.argv[2]);
    if (v === null) return c.r.error(NOT_INT);
    // Redis prints the version as an unsigned int and looks at its first characters.
    version = Number(BigInt.asUintN(32, v));
    args = c.argv.slice(3);
  }
  if (version === 5) {
    const s = sizes(args, [66, 8, 12], [[1, 1000], [1, 200], [1, 200]]);
    if (typeof s === "string") return c.r.error(s);
    const art = brailleText(schotter(s[0], s[1], s[2]));
    return c.r.verbatim(`${art}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${REDIS_VERSION}\n`);
  }
  if (version === 6) {
    const s = sizes(args, [80, 20], [[1, 1000], [1, 1000]]);
    if (typeof s === "string") return c.r.error(s);
    const canvas = new Canvas(s[0], s[1], 3);
    skyline(canvas);
    return c.r.verbatim(
      `${grayText(canvas)}\nDedicated to the 8 bit game developers of past and present.\n` +
        `Original 8 bit image from Plaguemon by hikikomori. Redis ver. ${REDIS_VERSION}\n`,
    );
  }
  c.r.verbatim(`Redis ver. ${REDIS_VERSION}\n`);
}

export const lolwutCommands: CommandDef[] = [{ name: "lolwut", arity: -1, flags: "readonly fast", acl: "read fast", handler: lolwut }];
