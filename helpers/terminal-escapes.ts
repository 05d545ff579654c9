/**
 * Terminal noise a serial console carries besides text: ANSI/VT escape sequences (CSI colours and cursor moves,
 * OSC titles, charset selects, DCS strings), C0/C1 control bytes and the NULs a firmware prints before the kernel
 * console is up. Removing them leaves the text a person would have read.
 */
const escapeSequences = new RegExp(
  [
    // CSI: ESC [ (or the 8-bit C1 CSI) parameters, intermediates, one final byte
    '(?:\\u001b\\[|\\u009b)[0-?]*[ -/]*[@-~]',
    // OSC, DCS, SOS, PM, APC strings: terminated by BEL or ST (ESC \), or running to the end of the line
    '(?:\\u001b[\\]PX^_]|[\\u009d\\u0090])[^\\u0007\\u001b\\u009c]*(?:\\u0007|\\u001b\\\\|\\u009c)?',
    // charset selects (ESC ( B, ESC ) 0, ...), DEC line attributes (ESC # 8), charset set (ESC % G)
    '\\u001b[()*+\\-./#%][ -~]?',
    // any other two-byte escape (ESC 7, ESC 8, ESC =, ESC >, ESC c, ESC M, ...)
    '\\u001b[ -~]?',
  ].join('|'),
  'g',
);

// C0 controls except TAB, DEL, and C1 controls; CR and LF never reach here (they split lines first)
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this pattern's purpose
const controlBytes = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function stripTerminalEscapes(text: string): string {
  return text.replace(escapeSequences, '').replace(controlBytes, '');
}
