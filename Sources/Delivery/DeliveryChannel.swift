/// How an alert reaches its recipient (`key-adults.csv` column `channel`, plus `file` for demos).
public enum DeliveryChannel: String, Sendable, Hashable, Codable, CaseIterable {
    /// An e-mail through the force's relay (`smtp.url`).
    case smtp
    /// A signed JSON POST to the school's own endpoint.
    case https
    /// Written to a folder as an .eml (and .json) file: demos and dry runs only, never a school's default.
    case file
}
