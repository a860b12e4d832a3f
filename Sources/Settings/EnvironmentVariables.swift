import InputRules

/// Every `ENCOMPASS_*` variable the program reads besides the settings themselves (each setting is
/// also `ENCOMPASS_` and its key, `ENCOMPASS_SCORING_WINDOW_DAYS`): the one list, so any other such
/// variable is refused (SPEC §8: a typo must not silently fall back to a default).
/// `ENCOMPASS_DATABSE=postgres://...` in a unit's environment file would otherwise run on a new,
/// empty `encompass.sqlite` in the working folder and exit 0.
public enum EnvironmentVariables {
    public static let config = "ENCOMPASS_CONFIG"
    public static let database = "ENCOMPASS_DATABASE"
    /// Read by Stores (StoreFactory), which does not see this module.
    public static let databasePassword = "ENCOMPASS_DATABASE_PASSWORD"
    public static let templates = "ENCOMPASS_TEMPLATES"
    /// `users add` and `users reset-password`.
    public static let password = "ENCOMPASS_PASSWORD"
    public static let smtpPassword = "ENCOMPASS_SMTP_PASSWORD"
    public static let webhookSecret = "ENCOMPASS_WEBHOOK_SECRET"
    /// Read by earlier versions (the acknowledgement links' key), now ignored and still accepted
    /// (`Settings.retiredEnvironment`).
    public static let ackSecret = "ENCOMPASS_ACK_SECRET"
    public static let allowPlaceholders = "ENCOMPASS_ALLOW_PLACEHOLDERS"

    /// Set by the test harness and the scripts for themselves (which binary, which Python, whether
    /// the browser tests must run, the suite's time limit, the accessibility checker): they reach the
    /// binary with the rest of the environment, and are not the program's to refuse.
    static let harness: Set<String> = [
        "ENCOMPASS_BIN", "ENCOMPASS_TEST_PYTHON", "ENCOMPASS_REQUIRE_BROWSER", "ENCOMPASS_TEST_LIMIT", "ENCOMPASS_AXE_JS",
    ]

    /// Every name the program knows: its own variables, the harness's, and each setting's.
    public static var known: Set<String> {
        Set([config, database, databasePassword, templates, password, smtpPassword, webhookSecret, ackSecret, allowPlaceholders])
            .union(harness).union(Settings.keys.map(\.environmentName))
    }

    /// Refuses the first (by name) `ENCOMPASS_*` variable the program does not know, naming the one
    /// it is a letter or two from. Every command asks before anything else, and so does
    /// `Settings.read`.
    public static func check(_ environment: [String: String]) throws(SettingsError) {
        let known = known
        guard let name = environment.keys.filter({ $0.hasPrefix("ENCOMPASS_") && !known.contains($0) }).min() else { return }
        // LikelyTypo compares in lower case.
        let hint = LikelyTypo.meant(name.lowercased(), among: known.map { $0.lowercased() }).map { " (did you mean \($0.uppercased())?)" } ?? ""
        throw SettingsError(file: "environment " + FieldText.forTerminal(name),
                            message: "not a setting or a variable encompass reads" + hint)
    }
}
