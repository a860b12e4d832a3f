import Foundation
import InputRules
import RiskModel
import SchoolCalendar
import Schools

/// Everything in Config/, read and checked once at the start of a command.
public struct LoadedConfig: Sendable {
    public var settings: Settings
    public var calendar: SchoolCalendar
    public var directory: SchoolDirectory
}

/// A named file that does not exist (exit 66), as distinct from one that is malformed (exit 65).
public struct MissingFile: Error, CustomStringConvertible {
    public let path: String
    /// The setting that names the file, if one does.
    public var setting: String?

    /// What is there instead, when something is: "is a file, not a folder".
    public var instead: String?

    public init(path: String, setting: String? = nil, instead: String? = nil) {
        self.path = path
        self.setting = setting
        self.instead = instead
    }

    public var description: String { "\(FilePosition.text(path)): \(instead ?? "no such file")" + (setting.map { " (\($0))" } ?? "") }
}

public enum ConfigDirectory {
    /// Reads `dir`. Every file is required, encompass.yaml too (each of its keys has a default, so an
    /// empty file will do): a file renamed `encompass.yml` or left out of a copy would otherwise run
    /// on the sample's contacts and defaults with no word said. The calendar and school files are
    /// required because without them no deadline or alert can be right.
    public static func load(_ dir: String, environment: [String: String]) throws -> LoadedConfig {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) else { throw MissingFile(path: dir) }
        // "No such file" for a file that is there sent the operator looking for the wrong thing.
        guard isDir.boolValue else { throw MissingFile(path: dir, instead: "is a file, not the settings folder (--config, ENCOMPASS_CONFIG)") }
        let yamlPath = path(dir, "encompass.yaml")
        let yaml = try text(yamlPath)
        var settings = try Settings.read(yaml: yaml, fileName: yamlPath, environment: environment)
        // A relative CA file is read from the config folder, and checked now, not when sending.
        settings.smtp.caFile = try caFile(settings.smtp.caFile, setting: "smtp.ca_file", dir: dir)
        settings.https.caFile = try caFile(settings.https.caFile, setting: "https.ca_file", dir: dir)

        let holidaysPath = path(dir, "bank-holidays.json")
        let holidays: BankHolidays
        do {
            holidays = try BankHolidays.parseGovUK(try data(holidaysPath))
        } catch let e as BankHolidaysError {
            throw SettingsError(file: holidaysPath, line: e.line, column: e.column, message: e.reason)
        }
        let termsPath = path(dir, "term-dates.csv")
        let terms = try TermDates.parseCSV(try text(termsPath), fileName: termsPath)

        let schoolsPath = path(dir, "schools.csv")
        let schools = try SchoolDirectory.parseGIAS(try data(schoolsPath), fileName: schoolsPath)
        let adultsPath = path(dir, "key-adults.csv")
        let adults = try SchoolDirectory.readKeyAdults(try data(adultsPath), fileName: adultsPath)

        let calendar = SchoolCalendar(
            bankHolidays: holidays, termDates: terms, zone: settings.scoring.zone,
            schoolDayStart: settings.calendar.schoolDayStart,
            minimumNoticeMinutes: settings.calendar.minimumNoticeMinutes,
            schoolDayStartByURN: settings.calendar.schoolDayStartByURN)
        return LoadedConfig(settings: settings, calendar: calendar,
                            directory: SchoolDirectory(schools: schools, keyAdults: adults.adults, keyAdultsFile: adultsPath,
                                                       keyAdultLines: adults.lines,
                                                       calendarSchools: terms.ownCalendarLines.map { .init(urn: $0.key, line: $0.value) }
                                                           .sorted { $0.line < $1.line },
                                                       termDatesFile: termsPath))
    }

    /// `value` as an absolute path (relative ones from `dir`), once it is known to be a readable file.
    static func caFile(_ value: String, setting: String, dir: String) throws -> String {
        guard !value.isEmpty else { return value }
        let base = URL(fileURLWithPath: dir, isDirectory: true).standardizedFileURL
        let full = value.hasPrefix("/") ? value : base.appendingPathComponent(value).standardizedFileURL.path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue else {
            throw MissingFile(path: full, setting: setting)
        }
        guard FileManager.default.isReadableFile(atPath: full) else {
            throw SettingsError(file: full, message: "\(setting): the file cannot be read")
        }
        return full
    }

    static func path(_ dir: String, _ name: String) -> String {
        dir.hasSuffix("/") ? dir + name : dir + "/" + name
    }

    public static func data(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw MissingFile(path: path) }
        let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
        let d: Data?
        switch type {
        case .typeRegular?: d = FileManager.default.contents(atPath: path)
        case .typeDirectory?: d = nil
        // A pipe or a device (`gpg -d export.gpg > fifo.csv`), which `contents(atPath:)` does not
        // read: read to its end, as the README says a pipe is.
        default: d = try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).readToEnd() ?? Data()
        }
        guard let d else { throw SettingsError(file: path, message: whyUnreadable(path, isFolder: type == .typeDirectory)) }
        return d
    }

    /// Why a file named for the config folder could not be read, and what to do: "cannot be read"
    /// alone named neither the cause nor the fix (audit 25, F12: a file the service's user may not read).
    static func whyUnreadable(_ path: String, isFolder: Bool) -> String {
        if isFolder { return "cannot be read: it is a folder, not a file" }
        guard access(path, R_OK) != 0 else { return "cannot be read" }
        return "cannot be read: \(String(cString: strerror(errno))) (this user, uid \(getuid()), must be able to read it: "
            + "the install gives the config folder to root and the service's group, with g+r)"
    }

    static func text(_ path: String) throws -> String {
        guard let s = String(data: try data(path), encoding: .utf8) else {
            throw SettingsError(file: path, message: "not UTF-8 text")
        }
        return s
    }
}
