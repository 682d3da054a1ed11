//! Which boot of the machine this is. A process killed with `kill -9` loses
//! nothing it had written to a file: the kernel's page cache keeps it. Only a
//! machine restart (a power loss) can lose written-but-unsynced bytes. So within
//! one boot, a `.part` file's length is how far a single-stream download got; after
//! a restart, only the durable checkpoint is.

use std::path::Path;

/// The kernel's random id for the current boot.
pub(super) const KERNEL_BOOT_ID: &str = "/proc/sys/kernel/random/boot_id";

/// A digest of the boot id found at `path` (a UUID: its first 64 bits);
/// `None` where there is none, and then nothing is trusted beyond checkpoints.
pub(super) fn current(path: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let hex: String = text
        .trim()
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(16)
        .collect();
    if hex.len() < 16 {
        return None;
    }
    u64::from_str_radix(&hex, 16).ok().filter(|&id| id != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boot_id_is_read_from_the_kernel_or_a_file() {
        assert!(
            current(Path::new(KERNEL_BOOT_ID)).is_some(),
            "Linux has one"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("boot_id");
        std::fs::write(&file, "0f2c6a1e-3b4d-4e5f-8a9b-0c1d2e3f4a5b\n").unwrap();
        assert_eq!(current(&file), Some(0x0f2c_6a1e_3b4d_4e5f));
        std::fs::write(&file, "not a boot id").unwrap();
        assert_eq!(current(&file), None);
        assert_eq!(current(&dir.path().join("missing")), None);
    }
}
