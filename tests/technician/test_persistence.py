"""diagnose tells when the state directory would not survive a reboot (Pi OS overlay root,
tmpfs, read-only), from a mount table written here (the real one is /proc/self/mountinfo)."""
from __future__ import annotations

from terminal.persistence_check import check_persistence, parse_mountinfo

DISK_ROOT = "27 1 179:2 / / rw,noatime shared:1 - ext4 /dev/mmcblk0p2 rw\n"
# Raspberry Pi OS with the overlay file system on (raspi-config): the root's writes live in RAM.
PI_OVERLAY = ("30 1 0:25 / / rw,relatime shared:1 - overlay overlayroot rw,lowerdir=/media/root-ro,"
              "upperdir=/media/root-rw/overlay,workdir=/media/root-rw/overlay-workdir\n"
              "28 30 179:2 / /media/root-ro ro,relatime shared:2 - ext4 /dev/mmcblk0p2 ro\n"
              "29 30 0:24 / /media/root-rw rw,relatime shared:3 - tmpfs tmpfs-root rw\n")


def _check(tmp_path, table: str, state_dir="/var/lib/pos-terminal"):
    info = tmp_path / "mountinfo"
    info.write_text(table)
    return check_persistence(state_dir, mountinfo=info)


def test_pi_os_overlay_root_fails_and_says_what_to_do(tmp_path):
    check = _check(tmp_path, PI_OVERLAY)
    assert check.status == "FAIL"
    assert "lost at every reboot" in check.detail and "/media/root-rw/overlay" in check.detail
    assert "storage.state_dir" in check.fix and "persistent partition" in check.fix


def test_state_dir_on_its_own_partition_under_an_overlay_root_passes_with_a_warning(tmp_path):
    table = PI_OVERLAY + "40 30 179:3 / /data rw,noatime - ext4 /dev/mmcblk0p3 rw\n"
    check = _check(tmp_path, table, "/data/pos-terminal")
    assert check.status == "WARN" and "/dev/mmcblk0p3" in check.detail


def test_tmpfs_and_read_only_fail(tmp_path):
    tmpfs = DISK_ROOT + "50 27 0:30 / /var/lib/pos-terminal rw,nosuid - tmpfs tmpfs rw,size=100m\n"
    assert _check(tmp_path, tmpfs).status == "FAIL"
    ro = "27 1 179:2 / / ro,noatime - ext4 /dev/mmcblk0p2 ro\n"
    check = _check(tmp_path, ro)
    assert check.status == "FAIL" and "read-only" in check.detail


def test_disk_passes_and_container_overlay_is_a_warning(tmp_path):
    assert _check(tmp_path, DISK_ROOT).status == "PASS"
    docker = ("500 400 0:50 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/A,"
              "upperdir=/var/lib/docker/overlay2/x/diff,workdir=/var/lib/docker/overlay2/x/work\n")
    assert _check(tmp_path, docker).status == "WARN"


def test_escaped_mount_points_and_odd_lines():
    mounts = parse_mountinfo("garbage\n60 27 8:1 / /mnt/my\\040disk rw - ext4 /dev/sda1 rw\n")
    assert [m.point for m in mounts] == ["/mnt/my disk"]


def test_missing_mount_table_is_a_skip(tmp_path):
    assert check_persistence(tmp_path, mountinfo=tmp_path / "absent").status == "SKIP"


def test_ntp_sync_reported(tmp_path):
    from terminal.time_sync import check_time_sync

    marker = tmp_path / "timesync" / "synchronized"
    assert check_time_sync(query=lambda: "yes", marker=marker).status == "PASS"
    not_synced = check_time_sync(query=lambda: "no", marker=marker)
    assert not_synced.status == "WARN" and "timedatectl set-ntp true" in not_synced.fix
    skipped = check_time_sync(query=lambda: None, marker=marker)     # no systemd here: said, not guessed
    assert skipped.status == "SKIP" and "cannot tell" in skipped.detail
    marker.parent.mkdir()
    assert check_time_sync(query=lambda: None, marker=marker).status == "WARN"
    marker.touch()
    assert check_time_sync(query=lambda: None, marker=marker).status == "PASS"


def test_missing_receipt_directory_is_named_not_power_and_cable(tmp_path):
    from drivers.printers.file_printer import FilePrinter

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    status, message = FilePrinter(str(blocker / "receipts" / "receipts.txt")).health()
    assert status.value == "OFFLINE"
    assert "receipt directory" in message and "power" not in message and "printer.path" in message
    ok = FilePrinter(str(tmp_path / "new" / "receipts.txt"))        # created at the first receipt
    assert ok.health()[0].value == "READY"
