/// Text from data made safe to show on a terminal: every character that could move the cursor,
/// start a new line, send an escape sequence or reorder the text is shown as an escape instead.
///
/// Village names, notes, device names and bundle file names come from USB sticks, so they may hold
/// ESC/CSI/OSC sequences that clear the screen or retitle the window, line breaks that forge a
/// line of their own ("rejected", "gap"), or bidi controls that make a line read backwards. On a
/// terminal each such character is written as `\u{HEX}`, Swift's own notation, with the scalar's
/// value in upper-case hex and no leading zeros: ESC is `\u{1B}`, a line feed `\u{A}`, RIGHT-TO-LEFT
/// OVERRIDE `\u{202E}`. The escape is plain printable ASCII, one column per character, so
/// escaping twice gives the same text as escaping once, and widths computed on the escaped text
/// line up. A value that holds a backslash sequence such as `\u{1B}` literally reads the same as
/// one that held ESC: the terminal text is for reading; CSV, JSON and HTML keep the exact text.
///
/// The characters escaped, and no others:
/// - C0 controls U+0000–U+001F (among them tab, line feed, carriage return and ESC) and DEL U+007F;
/// - C1 controls U+0080–U+009F (among them NEXT LINE U+0085 and the 8-bit CSI U+009B);
/// - LINE SEPARATOR U+2028 and PARAGRAPH SEPARATOR U+2029;
/// - the bidi controls U+202A–U+202E (embeddings and overrides), U+2066–U+2069 (isolates),
///   U+200E and U+200F (LRM, RLM) and U+061C (ARABIC LETTER MARK).
public enum TerminalText {
    /// Whether `scalar` is one of the characters shown escaped on a terminal.
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x2028, 0x2029: true
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }

    /// How `scalar` reads when escaped: `\u{1B}`.
    public static func escaped(_ scalar: Unicode.Scalar) -> String {
        "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
    }

    /// `text` with every character of ``needsEscape(_:)`` escaped; with `keepingLineFeeds`, the
    /// line feeds stay, for text whose lines the program composed itself (each line's data already
    /// escaped with `oneLine`).
    public static func escape(_ text: String, keepingLineFeeds: Bool = false) -> String {
        // Fast path: none of the escaped characters can hide behind these UTF-8 bytes, so text
        // without them (ASCII letters, Chinese) is returned as it is. C1 controls start with 0xC2,
        // U+061C with 0xD8, U+200E–U+2069 with 0xE2.
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 || $0 == 0xD8 || $0 == 0xE2 })
        else { return text }
        // Into a String, one scalar or one escape at a time: appending pieces to a
        // `String.UnicodeScalarView` grows in time with the square of their number (a header of
        // 256 KB of NUL bytes, quoted in a roster's error, took 102 s).
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar), !(keepingLineFeeds && scalar == "\n") {
                out += escaped(scalar)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension String {
    /// The text with every terminal control, line break and bidi control escaped as `\u{HEX}`
    /// (see ``TerminalText``): safe to print on a terminal, and always on one line.
    public var terminalSafe: String { TerminalText.escape(self) }
}
