import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The operating system account running this process, from the password database by effective
/// user id: not `$USER` or `$LOGNAME`, which anyone at the shell can set.
enum LoginName {
    static var current: String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name {
            let login = String(cString: name)
            if !login.isEmpty { return login }
        }
        return "uid \(geteuid())"
    }
}
