/** German letters written out, so file names stay plain ASCII ("Mädchen" -> "maedchen"). */
const SPELLED: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue', ß: 'ss' }

/** A file-name-safe slug: lowercase ASCII letters, digits and single dashes ("Pop Art" -> "pop-art"). */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[äöüß]/g, (letter) => SPELLED[letter] ?? letter)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

/**
 * The name a downloaded image gets: `<perspective>-<seed>.png` ("dada-123456789.png"), so a class
 * can tell who made what with which perspective; `bild-<seed>.png` without a perspective.
 */
export function downloadName(perspective: string | null | undefined, seed: number): string {
  const name = slug(perspective ?? '') || 'bild'
  return `${name}-${seed}.png`
}
