# Ferry — English. The source of truth: every other language follows these keys.

## Application
app-title = Ferry
app-no-display = No display is available: Ferry runs in the background without a window. Use the ferry command to manage transfers.

## Numbers and units (1024-based, named so: KiB, MiB, as the command line says)
decimal-separator = .
size-bytes = { $value } B
size-kb = { $value } KiB
size-mb = { $value } MiB
size-gb = { $value } GiB
size-tb = { $value } TiB
speed = { $size }/s
duration-seconds = { $s } s
duration-minutes = { $m } min { $s } s
duration-hours = { $h } h { $m } min
progress-of = { $done } of { $total }
time-left = { $time } left

## Transfer list
transfers-empty = No transfers yet.
transfers-empty-hint = Paste links here (Ctrl+V) or use New download; drop files on this window to upload them; with Ferry's browser extension (ferry browser install), the browser hands its downloads over.
transfers-none-in-filter = Nothing here.
filter-all = All
filter-active = Active
filter-completed = Completed
filter-failed = Failed
action-new-download = New download
action-new-upload = New upload
action-settings = Settings
action-pause = Pause
action-resume = Resume
action-cancel = Cancel
action-retry = Retry
action-open = Open
action-show-in-folder = Show in folder
action-remove = Remove
action-details = Details
footer-summary = { $active ->
    [0] Nothing running
    [one] 1 transfer running · { $speed }
   *[other] { $active } transfers running · { $speed }
}
footer-total = { $count ->
    [one] 1 transfer
   *[other] { $count } transfers
}
notice-delete-again = Press Delete again to remove “{ $name }” from the list.
notice-cancel-again = Cancel again to stop “{ $name }” for good: the { $size } done so far will be deleted.
notice-open-failed = Cannot open “{ $name }”: { $reason }.
notice-already-in-list = { $count ->
    [one] “{ $name }” is already in the list and not finished: it continues there.
   *[other] { $count } of these are already in the list and not finished, “{ $name }” among them: they continue there.
}

## Statuses (the engine's names in words)
status-idle = Queued
status-retrying = Retrying in { $time }
status-running = Running
status-paused = Paused
status-paused-no-network = Paused: no network
status-paused-costed-network = Paused: metered network
status-paused-system-policy = Paused: battery saver
status-completed = Completed
status-canceled = Canceled
status-needs-new-address = Needs a new address
status-error = Failed: { $reason }

## Errors (stable statuses in words)
error-unknown = unknown error
error-bad-request = the server refused the request
error-unauthorized = credentials are needed
error-forbidden = access denied
error-not-found = not found on the server
error-gone = no longer on the server
error-proxy-authentication-required = the proxy needs credentials
error-request-timeout = the server timed out
error-requested-range-not-satisfiable = the server cannot resume this file
error-too-many-requests = the server is busy (too many requests)
error-client-error = the server refused the request
error-server-answered = the server answered { $code } { $reason }
error-server-error = server error
error-unexpected-status-code = unexpected answer from the server
error-host-not-resolved = the server name could not be found
error-cannot-connect = cannot connect to the server
error-timeout = the connection timed out
error-connection-reset = the connection was lost
error-too-many-redirects = too many redirects
error-https-to-http = refused a redirect from https to http
error-certificate-invalid = the server's certificate is not valid
error-invalid-response = the server sent an invalid answer
error-disk-full = the disk is full
error-permission-denied = permission denied
error-file-system = the file could not be written
error-source-changed = the file changed during the upload
error-source-missing = the file to upload is missing
error-payload-too-large = the file is too large for the server
error-protocol-not-supported = the server does not support this protocol
error-is-a-directory = the address is a folder, not a file
error-checksum-mismatch = the file does not match its checksum

## New download
download-title = New download
download-urls = Addresses
download-urls-hint = One address per line
download-clipboard = Use the address in the clipboard: { $url }
download-folder = Folder
download-choose-folder = Choose…
download-save-as = Save as…
download-save-as-chosen = Saved as { $path }
download-policy = On metered networks
policy-unrestricted-only = Never
policy-default = When within the data plan
policy-always = Always
request-advanced = Advanced
request-headers = Request headers
request-user = User name
request-password = Password
request-headers-hint = Name: value, one per line
download-submit = Download
download-save-as-one-only = “Save as…” names one file: keep one address, or choose a folder for several.
download-no-picker = No file dialog can open here: type the folder above.
download-invalid-line = Line { $line }: { $reason }
download-nothing = Enter at least one address.
back = Back

## New upload
upload-title = New upload
upload-url = Upload to
upload-method = Method
upload-pick-files = Add files…
upload-drop-hint = or drop files on the window
upload-no-files = No files yet.
upload-remove-file = Remove
upload-path-hint = or type a file's path
upload-add-path = Add
upload-no-picker = No file dialog can open here: type each file's path above.
upload-mode = Send
upload-mode-multipart = All files in one request (multipart)
upload-mode-separate = One upload per file
upload-mode-tus = Resumable (tus), one per file
upload-submit = Upload
upload-files-count = { $count ->
    [one] 1 file, { $size }
   *[other] { $count } files, { $size }
}

## Details
details-title = Details
details-url = Address
details-destination = Saved to
details-sources = Files
details-created = Created
details-finished = Finished
details-retries = Retries
details-error = Last error
details-response = Server answer
details-technical = Technical detail
details-next-attempt = Next attempt
details-next-attempt-in = in { $seconds } s
details-failures = Earlier failures
details-failure = { $time } { $error } { $attempt ->
    [0] (first try)
   *[other] (retry { $attempt })
}
details-none = —

## Settings
settings-title = Settings
settings-max-running = Transfers at the same time
settings-folder = Download folder
settings-policy = On metered networks, by default
settings-notifications = Notify when transfers finish
settings-language = Language
language-system = System
settings-theme = Theme
theme-system = System
theme-light = Light
theme-dark = Dark
settings-autostart = Start Ferry when I log in
settings-save = Save
settings-saved = Settings saved.

## Tray
tray-show = Show Ferry
tray-pause-all = Pause all
tray-resume-all = Resume all
tray-quit = Quit
tray-tooltip-idle = Ferry: nothing running
tray-tooltip-active = Ferry: { $active } running, { $percent }%

## Notifications
notification-download-finished = Download finished
notification-upload-finished = Upload finished
notification-failed = Transfer failed
notification-many-finished = { $count ->
    [one] 1 transfer finished
   *[other] { $count } transfers finished
}
notification-many-failed = { $count ->
    [one] 1 transfer failed
   *[other] { $count } transfers failed
}
notification-open = Open
notification-show-in-folder = Show in folder
notification-no-tray = Ferry keeps running in the background. Run ferry again to show the window.

# Network awareness, groups and policies
filter-all-groups = All groups
batch-selected = { $count } selected
batch-clear = Clear selection
notice-batch-cancel-again = Cancel again to stop { $count } transfers for good: their partial files will be deleted.
notice-batch-remove-again = Remove again to take { $count } transfers off the list.
notice-cancel-first = None of the transfers picked has ended: Shift+Delete cancels them, then Delete removes them.
filter-all-categories = All kinds
search-placeholder = Search name or address
footer-limit = Limit
sort-added = Order added
sort-queue = Queue order
sort-name = Name
sort-size = Size
sort-status = Status
sort-reverse = The other way round (Ctrl+R)
category-videos = Videos
category-music = Music
category-pictures = Pictures
category-documents = Documents
category-archives = Archives
category-programs = Programs
category-other = Other
details-category = Kind
settings-categories = Kinds of file
settings-categories-hint = A download with no folder of its own goes to its kind's folder (empty: the download folder). The extensions decide the kind; one listed under two kinds belongs to the first.
settings-category-folder-placeholder = Download folder
settings-category-relative = { $kind }: the folder must be a full path (starting with /).
details-speed-graph = Speed, last 2 minutes
details-speed-peak = peak { $speed }
details-speed-now = now: { $speed }
details-speed-ago = { $seconds } s ago: { $speed }
details-parts = Parts
details-parts-summary = { $count ->
    [one] { $count } part
   *[other] { $count } parts
}, { $done } complete, { $working ->
    [one] { $working } connection
   *[other] { $working } connections
} at work (dark: safely on disk; pale: fetched; the line: where a connection is)
action-run-anyway = Run anyway
details-group = Group
details-queue = In the queue
details-queue-place = { $place } of { $count }
network-offline = Offline
network-unmetered = Online
network-metered = Metered network
network-roaming = Roaming
network-near-budget = Metered: data budget nearly used
network-over-budget = Metered: data budget used up
network-power-saver = Battery saver
settings-data-budget = Monthly data budget on metered networks
settings-speed-limit = Speed limit for all transfers
settings-speed-limit-none = No limit
settings-data-budget-none = No budget
settings-data-used = { $size } used this month
traffic-last-days = Last 30 days: { $total } moved, { $metered } of it on metered networks
traffic-day = { $day }: { $total } ({ $metered } metered)

# Credentials, proxy and cookies
request-proxy = Proxy
request-proxy-hint = http://host:3128 or socks5://user:password@host:1080
request-cookies = Cookies
request-cookies-hint = name=value; other=value
details-user = User
details-proxy = Proxy
details-tls = TLS
details-tls-unchecked = ⚠ certificates not checked (--insecure): the bytes may have been read or changed on the way
details-secret = (kept secret)
details-cookies = Cookies

## Refusals (a request the engine turned down; English as the engine says it)
refusal-shutting-down = Ferry is stopping; try again in a moment
refusal-not-a-url = not a valid URL: { $input } ({ $reason })
refusal-unsupported-scheme = unsupported URL scheme { $scheme }: Ferry transfers over http, https, ftp and ftps
refusal-ftp-upload-mode = an FTP upload sends one file as it is: multipart and tus need http or https
refusal-insecure-ftp = certificate checks can be turned off for HTTPS only; FTPS keeps them (trust the server's certificate with extra_root_certificates)
refusal-no-host = the URL has no host: { $url }
refusal-folder-missing = the destination folder { $path } does not exist
refusal-not-a-folder = { $path } is not a folder
refusal-folder-not-writable = cannot write to the destination folder { $path }: { $reason }
refusal-relative-path = the destination path must be absolute: { $path }
refusal-invalid-header = invalid header { $name }: { $reason }
refusal-no-sources = no file to upload
refusal-source-missing = the file to upload { $path } does not exist
refusal-source-not-a-file = { $path } is not a file (folders are not uploaded)
refusal-source-unreadable = cannot read the file to upload { $path }: { $reason }
refusal-one-source-only = this upload sends one file; give one per operation, or use multipart
refusal-multipart-needs-post = multipart/form-data is sent with POST; with PUT each file is sent as it is, one request per file
refusal-invalid-field-name = invalid form field name { $name }
refusal-no-such-group = no group named “{ $name }”; create it first
refusal-group-closed = the group “{ $name }” is enabled and its action is on its way; operations join a group before it is enabled
refusal-invalid-group-name = invalid group name “{ $name }”: { $reason }
refusal-group-exists = a group named “{ $name }” already exists
refusal-empty-action = the completion action needs a program to run
refusal-invalid-user = a user name cannot contain ':' or control characters
refusal-invalid-cookie = invalid cookie { $cookie }: expected name=value
refusal-invalid-proxy = invalid proxy { $proxy }: { $reason }
refusal-invalid-checksum = invalid { $algorithm } checksum: expected { $digits } hexadecimal digits
refusal-too-large = the request is too large: { $detail }
name-and-more = { $first } (+{ $more } more)

action-change-address = Change address…
change-address-title = A new address for “{ $name }”
change-address-explain = Its link stopped working. Paste a new one (download the file again in the browser and copy its address): Ferry checks that it serves the same file, then continues where it stopped.
change-address-continue = Continue
change-address-checking = Checking that the new address serves the same file…
change-address-other-file = If the file at this address is the one you want after all, Ferry can download it from the start; what it fetched so far is deleted.
change-address-start-over = Start over from this address
refusal-different-file = The new address serves a different file; the download keeps what it has.
refusal-address-unusable = The new address cannot be used: { $reason }.
refusal-gone = That transfer is not in the list any more.
refusal-invalid-state = Not possible in the state the transfer is in now.
refusal-internal = Ferry could not do it: { $detail }

## A download handed over by the browser, and links from a page
settings-ask-browser = Ask before adding a download from the browser
settings-rpc-listen = aria2 RPC address (empty: off)
settings-rpc-secret = aria2 RPC secret
settings-rpc-hint = AriaNg, aria2 extensions and aria2p connect with this address and secret. Takes effect when Ferry starts again.
settings-rpc-bad-address = “{ $address }” is not an address and port such as 127.0.0.1:6800: the RPC stays off.
settings-rpc-needs-secret = The RPC needs a secret: it stays off without one.
handoff-title = Download from the browser
handoff-size = Size: { $size }
handoff-size-unknown = unknown until it starts
handoff-name = Name
handoff-group = Group
handoff-no-group = None
handoff-start-now = Start now
handoff-decline = Let the browser download it
handoff-more = { $count ->
    [one] One more download from the browser waits for an answer.
   *[other] { $count } more downloads from the browser wait for an answer.
}
handoff-exists = “{ $name }” is already in this folder: the new file gets a name of its own, nothing is overwritten.
handoff-bad-name = The name must not be empty or contain “/”.
handoff-no-folder = The folder { $folder } cannot be made: { $reason }
handoff-withdrawn = No answer in time: the browser downloads “{ $name }” itself.
handoff-too-late = The browser took this download back (it waited too long for an answer).
links-title = { $count ->
    [one] One link from the page
   *[other] { $count } links from the page
}
links-filter-hint = Filter: words or file types (.zip .iso)
links-check-shown = Check shown
links-uncheck-shown = Uncheck shown
links-shown = { $shown } shown, { $chosen } checked
links-none-chosen = No link is checked among those shown.
links-submit = { $count ->
    [one] Download 1 file
   *[other] Download { $count } files
}

# Keyboard shortcuts (F1)
shortcuts-title = Keyboard shortcuts
shortcuts-tooltip = Keyboard shortcuts (F1)
shortcut-new-download = New download
shortcut-new-upload = New upload
shortcut-paste = On the list: a new download with the addresses copied
shortcut-search = Search the list
shortcut-select-all = Pick every transfer shown
shortcut-pick-one = Add a transfer to those picked, or take it out
shortcut-pick-range = Pick every transfer up to this one
shortcut-pause-resume = Pause or resume the transfers picked (a failed one: retry)
shortcut-remove = Remove the transfers picked (press twice)
shortcut-escape = Let go of the transfers picked; leave a screen
shortcut-tab = Next or previous field
shortcut-send = Send the form
shortcut-quit = Stop Ferry (transfers resume at the next start)
shortcut-help = This list
keys-arrows = ↑ ↓, Page Up/Down, Home, End
keys-shift-arrows = Shift+↑ ↓
keys-enter = Enter
keys-menu = Menu key, Shift+F10
shortcut-arrows = Pick the transfer above or below (in the menu: the entry)
shortcut-shift-arrows = Pick more transfers, up or down
shortcut-details = Details of the transfer picked (in the menu: choose)
shortcut-menu = The menu of the transfer picked
keys-ctrl-click = Ctrl+click
keys-shift-click = Shift+click
keys-space = Space
keys-delete = Delete
keys-escape = Escape
keys-tab = Tab, Shift+Tab
keys-ctrl-enter = Ctrl+Enter
keys-shift-delete = Shift+Delete
shortcut-cancel = Cancel the transfers picked (press twice)
shortcut-priority = The next priority for the transfers picked (with Shift: the one before)
shortcut-policy = The next choice for metered networks, for the transfers picked
keys-alt-arrows = Alt+↑ ↓, Alt+Home, Alt+End
shortcut-move = Move the transfer picked in the queue: a place up or down, to the front or the end
shortcut-states = Show a state: all, downloading, waiting, completed, failed (the sidebar's order)
shortcut-order = The list's next order (with Shift: the one before)
shortcut-reverse = The list's order the other way round
shortcut-kind = The next kind of file shown (with Shift: the one before)
shortcut-group = The next group shown (with Shift: the one before)
shortcut-limit = The next speed limit for all transfers (with Shift: a lower one)
shortcut-when-done = The next choice of what happens once all is done
shortcut-settings = Settings

# The bar over picked transfers: priority and metered networks
batch-priority = Priority…
batch-policy = On metered networks…
priority-high = High (first in the queue)
priority-normal = Normal
priority-low = Low (after the others)

# A row's menu (right click)
menu-copy-address = Copy address
menu-move-up = Move up in the queue
menu-move-down = Move down in the queue
menu-limit = Its own limit

# The sidebar of a wide window
filter-running = Running
filter-waiting = Waiting
sidebar-kinds = Kinds of file
sidebar-groups = Groups
sidebar-hide = Hide the sidebar (Ctrl+B)
sidebar-show = Show the sidebar (Ctrl+B)
shortcut-sidebar = Hide or show the sidebar

## What the new-download form found at each address
check-checking = Checking { $url }…
check-resumable = can resume
check-not-resumable = cannot resume: a pause or a lost network starts it over
check-failed = { $url }: { $reason }
check-more = …and { $count } more

## The details pane below the list
pane-show = Show details below the list (Ctrl+I)
pane-hide = Hide the details pane (Ctrl+I)
pane-pick-a-row = Click a transfer to see its details here.
shortcut-pane = Show or hide the details pane

## Schedules
status-scheduled = Waiting until { $time }
status-scheduled-none = Outside its hours
weekday-mon = Mon
weekday-tue = Tue
weekday-wed = Wed
weekday-thu = Thu
weekday-fri = Fri
weekday-sat = Sat
weekday-sun = Sun
settings-schedule = Schedule
settings-schedule-hint = When transfers may run, and how fast, by the hour (local time; an end at or before the start runs into the next day). When several rules apply, the most restrictive wins; Run anyway on a transfer lets it through.
schedule-rule = { $from }–{ $to }, { $days }: { $who } { $what }
schedule-every-day = every day
schedule-all = all transfers
schedule-group = group { $name }
schedule-policy = transfers with policy { $policy }
schedule-run-only = run only then
schedule-never = do not run then
schedule-limit = at most { $kib } KiB/s then
schedule-limit-choice = at most… KiB/s then
schedule-days-placeholder = days: mon-fri
schedule-add = Add the rule
schedule-bad-time = “{ $typed }” is not a time of day (HH:MM).
schedule-bad-days = Days are written mon, tue… sun, as a list (mon,wed) or a range (mon-fri); empty: every day.
schedule-bad-limit = A limit is a number of KiB/s above 0.

## When done (the queue, a group)
when-done = When done
when-done-nothing = Do nothing
when-done-quit = Quit Ferry
when-done-suspend = Suspend
when-done-power-off = Power off
when-done-countdown-queue = { $what ->
    [quit] Ferry quits
    [suspend] The computer suspends
   *[power-off] The computer powers off
} in { $seconds } s: every transfer is done.
when-done-countdown-group = { $what ->
    [quit] Ferry quits
    [suspend] The computer suspends
   *[power-off] The computer powers off
} in { $seconds } s: group “{ $group }” is done.
when-done-notification = { $what ->
    [quit] Ferry quits
    [suspend] The computer suspends
   *[power-off] The computer powers off
} in { $seconds } s
when-done-notification-queue = Every transfer is done.
when-done-notification-group = Group “{ $group }” is done.
when-done-failed = { $what ->
    [quit] Ferry could not quit
    [suspend] The computer could not be suspended
   *[power-off] The computer could not be powered off
}
