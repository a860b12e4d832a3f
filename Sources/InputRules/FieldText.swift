import Foundation

/// The one rule for whether a piece of text may be stored: ingest, the config files, the settings,
/// the command line and the web app all ask here. C0 control characters (U+0000-U+001F), DEL
/// (U+007F) and C1 controls (U+0080-U+009F, which a terminal takes as CSI and the like) are
/// refused: a NUL cut a child's name short in the school's e-mail, and ESC sequences in an id
/// reached an operator's terminal. A tab is allowed everywhere; line breaks (CR, LF) only in free
/// text (`words`). Ids also refuse every character that looks like another or like nothing
/// (`isLookAlike`): Unicode format characters (Cf: zero-width spaces and joiners, bidi overrides),
/// every space but U+0020 (a no-break space, an ideographic space, the line and paragraph
/// separators), the fillers (Hangul, braille blank), private-use and unassigned code points:
/// `C-9001` with a no-break space after it prints the same and is another child, and a bidi
/// override shows an id reversed. Beyond ASCII an id takes only Latin letters in their own form
/// (`isPlainLatinLetter`): a Cyrillic `С`, a fullwidth `Ｃ` print as `C`. They are refused rather
/// than trimmed, at an id's edges as inside it, so every reader (incidents, episodes, the command
/// line, the API) sees one id. Names keep them (a zero-width non-joiner is part of how some names
/// are written, and a name may be in any script). Every kind has a length
/// limit, so a stray paste is refused with a clear line rather than stored.
///
/// Problems never carry the text itself: it may name people.
public enum FieldText {
    public enum Kind: Sendable, Hashable {
        /// A force's id: incident, victim, perpetrator, child, episode; a user name given with --by.
        case identifier
        /// A person's given or family name.
        case name
        /// What the child said, a decision's reason: free text, line breaks allowed.
        case words
        /// One line of other text read from a file: a school's name, a setting's value (a hub's
        /// name, a path, a URL).
        case line

        /// The most characters (extended grapheme clusters) kept, and four UTF-8 bytes a character
        /// (`FieldText.isTooLong`).
        public var maximumLength: Int {
            switch self {
            case .identifier: 64
            case .name: 100
            case .words: 4000
            case .line: 500
            }
        }

        public var allowsLineBreaks: Bool { self == .words }

        /// Whether look-alike characters (`FieldText.isLookAlike`) may be in it: everywhere but in an id.
        public var allowsFormatCharacters: Bool { self != .identifier }
    }

    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case controlCharacter
        /// A look-alike character (`FieldText.isLookAlike`) in an id.
        case formatCharacter
        /// A character beyond ASCII that is no plain Latin letter (`FieldText.isPlainLatinLetter`) in an id.
        case lookAlikeLetter
        case tooLong(maximum: Int)

        /// In words, for `FILE:LINE: column: ` or `--option: ` before it.
        public var description: String {
            switch self {
            case .controlCharacter: "contains a control character"
            case .formatCharacter: "contains an invisible or look-alike character (a space other than U+0020, zero-width, bidi or a filler)"
            case .lookAlikeLetter: "contains a character that may print as another: beyond ASCII an id takes only Latin letters "
                + "(accented ones too), not Cyrillic or Greek letters, fullwidth or compatibility forms, or other dashes and symbols"
            case .tooLong(let maximum): "is longer than \(maximum) characters"
            }
        }
    }

    /// Nil when `text` may be stored as `kind`.
    public static func problem(_ text: String, as kind: Kind) -> Problem? {
        var copy = text
        return copy.withUTF8 { problem(utf8: $0, as: kind) }
    }

    /// The same rule over UTF-8 bytes (already known to be valid UTF-8), for readers that work on
    /// bytes: C0 controls and DEL are single bytes in UTF-8, so a byte scan finds them; only text
    /// with a byte of 0x80 or more (a C1 control or a format character is one) is read as scalars.
    /// Inlinable: ingest asks for every text field of every row.
    @inlinable
    public static func problem(utf8 bytes: UnsafeBufferPointer<UInt8>, as kind: Kind) -> Problem? {
        let lineBreaks = kind.allowsLineBreaks
        var nonASCII = false
        for b in bytes where b < 0x20 || b >= 0x7F {
            if b >= 0x80 { nonASCII = true; continue }
            if b == 0x09 { continue }
            if lineBreaks, b == 0x0A || b == 0x0D { continue }
            return .controlCharacter
        }
        if nonASCII {
            let formats = kind.allowsFormatCharacters
            for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars where scalar.value >= 0x80 {
                if let problem = problem(scalar, lineBreaks: lineBreaks, formatCharacters: formats) { return problem }
            }
        }
        let maximum = kind.maximumLength
        return isTooLong(utf8: bytes, maximum: maximum) ? .tooLong(maximum: maximum) : nil
    }

    /// The one length rule, for a limit of `maximum` characters: more than `maximum` extended
    /// grapheme clusters, or more than four UTF-8 bytes a character (any text of `maximum` one-scalar characters fits), since
    /// combining marks join the character before them without limit and a count of characters
    /// alone let 1 MB through as one. Inlinable: ingest asks for every text field of every row.
    @inlinable
    public static func isTooLong(utf8 bytes: UnsafeBufferPointer<UInt8>, maximum: Int) -> Bool {
        if bytes.count > 4 * maximum { return true }
        // A character is at least one byte: only a long text needs counting.
        return bytes.count > maximum && String(decoding: bytes, as: UTF8.self).count > maximum
    }

    /// The same rule over text.
    public static func isTooLong(_ text: String, maximum: Int) -> Bool {
        var copy = text
        return copy.withUTF8 { isTooLong(utf8: $0, maximum: maximum) }
    }

    /// Whether `text` has no visible character: nothing but white space (Unicode's White_Space:
    /// spaces of every width, tabs, line breaks) and invisible format characters (general category
    /// Cf: zero-width spaces and joiners, the word joiner, a byte order mark, bidi marks), the empty
    /// text included. Blank text is no text: an ingested field, an id or a name given on the command
    /// line, a decision's reason or a plan's action typed into a form or sent to the API, that is
    /// blank is taken as not given, never stored as a value (a child's words of only a line break
    /// are not "the child's voice recorded"; a decline whose reason is a word joiner and a byte
    /// order mark has no reason anyone can read). The control characters among White_Space that are
    /// refused everywhere (a vertical tab, a form feed, NEL) do not make text blank: such text is
    /// still refused as holding them.
    public static func isBlank(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy {
            ($0.properties.isWhitespace || $0.properties.generalCategory == .format)
                && problem($0, lineBreaks: true, formatCharacters: true) == nil
        }
    }

    /// The same rule over UTF-8 bytes (valid UTF-8): a field that starts with a printable ASCII
    /// character, as nearly all do, is answered at its first byte.
    @inlinable
    public static func isBlank(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for b in bytes {
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { continue }
            if b < 0x80 { return false }
            return isBlank(String(decoding: bytes, as: UTF8.self))
        }
        return true
    }

    /// The rule for one character, for a field with a length limit of its own (the web's forms):
    /// nil when it may be kept.
    public static func problem(_ scalar: Unicode.Scalar, lineBreaks: Bool, formatCharacters: Bool) -> Problem? {
        let v = scalar.value
        if v == 0x09 || (lineBreaks && (v == 0x0A || v == 0x0D)) { return nil }
        if isControl(scalar) { return .controlCharacter }
        if !formatCharacters, v >= 0x80 {
            if isLookAlike(scalar) { return .formatCharacter }
            if !isPlainLatinLetter(scalar) { return .lookAlikeLetter }
        }
        return nil
    }

    /// Whether a character beyond ASCII is a letter of the Latin alphabet in its own form (é, ø, ß,
    /// ł: a force's ids may carry a name's letters): a letter (upper, lower or title case) of
    /// Latin-1, Latin Extended-A and -B or Latin Extended Additional, that NFKC leaves as it is. The
    /// id rule's only characters beyond ASCII (audit 26, F5): a Cyrillic `С` or a Greek `Ο` prints
    /// as `C` or `O` (three incidents of one child became two children, and a HIGH child was
    /// missed), a fullwidth `Ｃ`, the ligature `ĳ` or the long `ſ` fold to other letters, and a
    /// dash `‐` prints as `-`, so each would be another id that reads the same. A letter of another
    /// script with no Latin twin is refused too: one rule for every id is one a person can say.
    public static func isPlainLatinLetter(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        guard (0xC0...0x24F).contains(v) && v != 0xD7 && v != 0xF7 || (0x1E00...0x1EFF).contains(v) else { return false }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter: break
        default: return false
        }
        let text = String(Character(scalar))
        return text.precomposedStringWithCompatibilityMapping == text
    }

    /// Whether a character (not ASCII) prints as nothing or as another: a format character (Cf),
    /// any White_Space (U+00A0, U+3000, U+2028, U+2029...), a default-ignorable one (the Hangul
    /// fillers, variation selectors), the braille blank U+2800, a private-use or unassigned code
    /// point (noncharacters included). The id rule: none of these is in any force's ids.
    public static func isLookAlike(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.value >= 0x80 else { return false }
        if scalar.value == 0x2800 { return true }
        let p = scalar.properties
        if p.isWhitespace || p.isDefaultIgnorableCodePoint { return true }
        switch p.generalCategory {
        case .format, .privateUse, .unassigned, .surrogate, .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    /// `text` safe to write to a terminal: every control character (C0, DEL and C1, tab and line
    /// breaks included) is written as a visible escape (`\u{1B}`), so a table for people never
    /// sends a control sequence. Text without any comes back unchanged.
    public static func forTerminal(_ text: String) -> String {
        // Bytes first: a C1 control is U+0080-U+009F, in UTF-8 0xC2 then 0x80-0x9F, so text with no
        // byte below 0x20, no 0x7F and no 0xC2 has none (the tables check every cell of every row).
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }),
              text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// How many columns `text` takes on a terminal, as the tables pad it: its bytes when it is ASCII,
    /// as ids, dates and most names are, without walking its grapheme clusters; its characters
    /// otherwise.
    public static func terminalWidth(_ text: String) -> Int {
        text.utf8.allSatisfy { $0 < 0x80 } ? text.utf8.count : text.count
    }

    private static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (s.value >= 0x7F && s.value <= 0x9F)
    }
}
