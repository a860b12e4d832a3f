import Foundation

/// Lease owners are `host:pid:nonce:place`, so a rerun in the same place can see that a killed
/// run's process is gone and take its alerts back at once instead of waiting for the lease to end.
///
/// The place is where the pid means that process: this boot of this kernel (its boot id, random at
/// each boot, so a cloned machine's differs) and the PID namespace (a container's own). A host name
/// alone is not: cloned machines and containers share names, and a run elsewhere under the same
/// name, whose process this machine has never had, was taken for dead and its alerts sent twice
/// (audit 20 F2). A run sees only its own place's processes, and only under its own host name: an
/// alert claimed anywhere else goes out again once that lease ends, never sooner. So does one whose
/// owner names no place: a lease of an older version (`host:pid:nonce`), or one taken where the
/// place cannot be read (no `/proc`).
public enum LeaseOwner {
    public static let current = [ProcessInfo.processInfo.hostName, String(getpid()), String(UUID().uuidString.prefix(8))]
        .joined(separator: ":") + (here.map { ":" + $0 } ?? "")

    /// This process's place: `BOOTID.PIDNAMESPACE`, nil where either cannot be read.
    static let here: String? = place(
        bootId: try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8),
        pidNamespace: try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid"))

    /// The place from the kernel's boot id (`/proc/sys/kernel/random/boot_id`) and the PID
    /// namespace's link (`pid:[4026531836]`); nil unless both read as expected.
    static func place(bootId: String?, pidNamespace: String?) -> String? {
        guard let boot = bootId?.trimmingCharacters(in: .whitespacesAndNewlines),
              !boot.isEmpty, boot.allSatisfy({ $0.isHexDigit || $0 == "-" }),
              let link = pidNamespace, link.hasPrefix("pid:["), link.hasSuffix("]") else { return nil }
        let inode = link.dropFirst("pid:[".count).dropLast()
        guard !inode.isEmpty, inode.allSatisfy(\.isASCIIDigit) else { return nil }
        return "\(boot).\(inode)"
    }

    public static func isDead(_ owner: String) -> Bool {
        isDead(owner, host: ProcessInfo.processInfo.hostName, place: here) { pid in kill(pid, 0) != 0 && errno == ESRCH }
    }

    /// Whether `owner` names a process of `host` in `place` that `gone` says has ended.
    static func isDead(_ owner: String, host: String, place: String?, gone: (Int32) -> Bool) -> Bool {
        let parts = owner.split(separator: ":", omittingEmptySubsequences: false)
        guard let place, parts.count == 4, parts[0] == host, parts[3] == place, let pid = Int32(parts[1]), pid > 0 else {
            return false
        }
        return gone(pid)
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
