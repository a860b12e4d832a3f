enum EmailAddress {
    /// One `@`, something either side, and nothing that could break out of a header or an SMTP
    /// command (spaces, control characters, angle brackets, commas).
    static func isPlausible(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, address.utf8.count <= 254 else { return false }
        let forbidden = Set("<>()[],;:\\\" ")
        return address.unicodeScalars.allSatisfy { $0.value > 32 && $0.value != 127 && !forbidden.contains(Character($0)) }
    }
}
