"""Drive Ferry's aria2 RPC with aria2p, a client nobody here wrote.

Usage: aria2p_drive.py PORT SECRET URL DIR

Adds URL with a Cookie header and a Referer into DIR as via-aria2p.bin under a
global speed limit, watches it, pauses and unpauses it, lifts the limit, lists
active/waiting/stopped, moves three paused downloads in the queue, then removes
its result and purges. Prints one JSON line
of what it saw; any surprise raises (exit status 1).
"""

import json
import sys
import time

import aria2p


def wait_for(api, gid, statuses, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        download = api.get_download(gid)
        if download.status in statuses:
            return download
        if download.status == "error":
            raise AssertionError(f"failed: {download.error_code} {download.error_message}")
        if time.monotonic() > deadline:
            raise AssertionError(f"still {download.status}, not {statuses}")
        time.sleep(0.05)


def main():
    port, secret, url, folder = sys.argv[1:5]
    api = aria2p.API(aria2p.Client(host="http://127.0.0.1", port=int(port), secret=secret))
    seen = {"version": api.client.get_version()["version"]}

    api.set_global_options({"max-overall-download-limit": "512K"})
    seen["limit"] = api.get_global_options().get("max-overall-download-limit")

    download = api.add_uris(
        [url],
        options={
            "header": ["Cookie: session=from-aria2p"],
            "referer": "http://page.test/list.html",
            "dir": folder,
            "out": "via-aria2p.bin",
        },
    )
    gid = download.gid
    wait_for(api, gid, {"active"})
    seen["active"] = [d["gid"] for d in api.client.tell_active(keys=["gid"])]

    assert api.pause([download]) == [True]
    wait_for(api, gid, {"paused"})
    seen["waiting"] = [d["gid"] for d in api.client.tell_waiting(0, 10, keys=["gid"])]

    assert api.resume([download]) == [True]
    api.set_global_options({"max-overall-download-limit": "0"})
    done = wait_for(api, gid, {"complete"})
    seen["completed_length"] = done.completed_length
    seen["total_length"] = done.total_length
    seen["stopped"] = [d["gid"] for d in api.client.tell_stopped(0, 10, keys=["gid"])]
    seen["listed"] = sorted(d.gid for d in api.get_downloads())

    # The queue: three paused downloads moved about as a front end does.
    base = url.rsplit("/", 1)[0]
    queued = [
        api.add_uris([f"{base}/queued-{n}.bin"], options={"pause": "true", "dir": folder})
        for n in range(3)
    ]
    a, b, c = queued
    waiting = lambda: [d["gid"] for d in api.client.tell_waiting(0, 10, keys=["gid"])]
    seen["queue_added"] = waiting() == [a.gid, b.gid, c.gid]
    seen["moves"] = [api.move_to_top(c), api.move_down(c), api.move_to_bottom(a), api.move_up(b)]
    seen["queue_moved"] = waiting() == [b.gid, c.gid, a.gid]
    assert api.remove(queued) == [True, True, True]

    assert api.remove([done], clean=True) == [True]
    api.purge()
    seen["after_purge"] = [d.gid for d in api.get_downloads()]
    seen["gid"] = gid
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
