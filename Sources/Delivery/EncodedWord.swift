import Foundation

/// RFC 2047 encoded-words for header text that is not plain ASCII (a school's or a hub's name).
enum EncodedWord {
    /// The words of a header value, for folding: ASCII text split at its spaces; anything else
    /// as `=?UTF-8?B?...?=` words, split between characters, each short enough that a header
    /// name and the word fit on one 78-character line.
    static func words(_ text: String) -> [String] {
        if text.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) {
            return text.split(separator: " ").map(String.init)
        }
        var words: [String] = []
        var chunk: [UInt8] = []
        // 39 bytes become 52 base64 characters: 12 + 52 = 64 with the =?UTF-8?B? ?= frame.
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 39, !chunk.isEmpty {
                words.append(word(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(word(chunk)) }
        return words
    }

    private static func word(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?" + Data(bytes).base64EncodedString() + "?="
    }
}
