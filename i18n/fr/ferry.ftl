# Ferry — français.

## Application
app-title = Ferry
app-no-display = Aucun écran n’est disponible : Ferry tourne en arrière-plan sans fenêtre. Utilisez la commande ferry pour gérer les transferts.

## Nombres et unités
decimal-separator = ,
size-bytes = { $value } o
size-kb = { $value } Kio
size-mb = { $value } Mio
size-gb = { $value } Gio
size-tb = { $value } Tio
speed = { $size }/s
duration-seconds = { $s } s
duration-minutes = { $m } min { $s } s
duration-hours = { $h } h { $m } min
progress-of = { $done } sur { $total }
time-left = encore { $time }

## Liste des transferts
transfers-empty = Aucun transfert pour l’instant.
transfers-empty-hint = Collez des liens ici (Ctrl+V) ou cliquez sur Nouveau téléchargement ; déposez des fichiers sur cette fenêtre pour les envoyer ; avec l’extension de Ferry (ferry browser install), le navigateur lui confie ses téléchargements.
transfers-none-in-filter = Rien ici.
filter-all = Tous
filter-active = En cours
filter-completed = Terminés
filter-failed = En échec
action-new-download = Nouveau téléchargement
action-new-upload = Nouvel envoi
action-settings = Réglages
action-pause = Pause
action-resume = Reprendre
action-cancel = Annuler
action-retry = Réessayer
action-open = Ouvrir
action-show-in-folder = Afficher dans le dossier
action-remove = Retirer
action-details = Détails
footer-summary = { $active ->
    [0] Rien en cours
    [one] { $active } transfert en cours · { $speed }
   *[other] { $active } transferts en cours · { $speed }
}
footer-total = { $count ->
    [one] { $count } transfert
   *[other] { $count } transferts
}
notice-delete-again = Appuyez de nouveau sur Suppr pour retirer « { $name } » de la liste.
notice-cancel-again = Annulez à nouveau pour arrêter « { $name } » pour de bon : les { $size } déjà transférés seront supprimés.
notice-open-failed = Impossible d’ouvrir « { $name } » : { $reason }.
notice-already-in-list = { $count ->
    [one] « { $name } » est déjà dans la liste et n’est pas terminé : il continue là.
   *[other] { $count } de ces transferts sont déjà dans la liste et pas terminés, dont « { $name } » : ils continuent là.
}

## États
status-idle = En attente
status-retrying = Nouvel essai dans { $time }
status-running = En cours
status-paused = En pause
status-paused-no-network = En pause : pas de réseau
status-paused-costed-network = En pause : réseau limité
status-paused-system-policy = En pause : économie d’énergie
status-completed = Terminé
status-canceled = Annulé
status-needs-new-address = Nouvelle adresse nécessaire
status-error = Échec : { $reason }

## Erreurs
error-unknown = erreur inconnue
error-bad-request = le serveur a refusé la requête
error-unauthorized = des identifiants sont nécessaires
error-forbidden = accès refusé
error-not-found = introuvable sur le serveur
error-gone = n’est plus sur le serveur
error-proxy-authentication-required = le proxy demande des identifiants
error-request-timeout = le serveur a mis trop de temps
error-requested-range-not-satisfiable = le serveur ne peut pas reprendre ce fichier
error-too-many-requests = le serveur est surchargé (trop de requêtes)
error-client-error = le serveur a refusé la requête
error-server-answered = le serveur a répondu { $code } { $reason }
error-server-error = erreur du serveur
error-unexpected-status-code = réponse inattendue du serveur
error-host-not-resolved = le nom du serveur est introuvable
error-cannot-connect = impossible de joindre le serveur
error-timeout = la connexion a expiré
error-connection-reset = la connexion a été perdue
error-too-many-redirects = trop de redirections
error-https-to-http = redirection de https vers http refusée
error-certificate-invalid = le certificat du serveur n’est pas valide
error-invalid-response = le serveur a envoyé une réponse invalide
error-disk-full = le disque est plein
error-permission-denied = permission refusée
error-file-system = le fichier n’a pas pu être écrit
error-source-changed = le fichier a changé pendant l’envoi
error-source-missing = le fichier à envoyer est introuvable
error-payload-too-large = le fichier est trop gros pour le serveur
error-protocol-not-supported = le serveur ne prend pas en charge ce protocole
error-is-a-directory = l’adresse désigne un dossier, pas un fichier
error-checksum-mismatch = le fichier ne correspond pas à sa somme de contrôle

## Nouveau téléchargement
download-title = Nouveau téléchargement
download-urls = Adresses
download-urls-hint = Une adresse par ligne
download-clipboard = Utiliser l’adresse du presse-papiers : { $url }
download-folder = Dossier
download-choose-folder = Choisir…
download-save-as = Enregistrer sous…
download-save-as-chosen = Enregistré sous { $path }
download-policy = Sur les réseaux limités
policy-unrestricted-only = Jamais
policy-default = Dans les limites du forfait
policy-always = Toujours
request-advanced = Avancé
request-headers = En-têtes de requête
request-user = Nom d’utilisateur
request-password = Mot de passe
request-headers-hint = Nom: valeur, un par ligne
download-submit = Télécharger
download-save-as-one-only = « Enregistrer sous… » nomme un seul fichier : gardez une adresse, ou choisissez un dossier pour plusieurs.
download-no-picker = Aucune boîte de dialogue de fichiers ne peut s’ouvrir ici : saisissez le dossier ci-dessus.
download-invalid-line = Ligne { $line } : { $reason }
download-nothing = Saisissez au moins une adresse.
back = Retour

## Nouvel envoi
upload-title = Nouvel envoi
upload-url = Envoyer vers
upload-method = Méthode
upload-pick-files = Ajouter des fichiers…
upload-drop-hint = ou déposez des fichiers sur la fenêtre
upload-no-files = Aucun fichier pour l’instant.
upload-remove-file = Retirer
upload-path-hint = ou saisissez le chemin d’un fichier
upload-add-path = Ajouter
upload-no-picker = Aucune boîte de dialogue de fichiers ne peut s’ouvrir ici : saisissez le chemin de chaque fichier ci-dessus.
upload-mode = Envoi
upload-mode-multipart = Tous les fichiers en une requête (multipart)
upload-mode-separate = Un envoi par fichier
upload-mode-tus = Reprenable (tus), un par fichier
upload-submit = Envoyer
upload-files-count = { $count ->
    [one] { $count } fichier, { $size }
   *[other] { $count } fichiers, { $size }
}

## Détails
details-title = Détails
details-url = Adresse
details-destination = Enregistré dans
details-sources = Fichiers
details-created = Créé
details-finished = Terminé
details-retries = Nouveaux essais
details-error = Dernière erreur
details-response = Réponse du serveur
details-technical = Détail technique (en anglais)
details-next-attempt = Prochain essai
details-next-attempt-in = dans { $seconds } s
details-failures = Échecs précédents
details-failure = { $time } { $error } { $attempt ->
    [0] (premier essai)
   *[other] (nouvel essai { $attempt })
}
details-none = —

## Réglages
settings-title = Réglages
settings-max-running = Transferts simultanés
settings-folder = Dossier des téléchargements
settings-policy = Sur les réseaux limités, par défaut
settings-notifications = Prévenir à la fin des transferts
settings-language = Langue
language-system = Système
settings-theme = Thème
theme-system = Système
theme-light = Clair
theme-dark = Sombre
settings-autostart = Lancer Ferry à l’ouverture de session
settings-save = Enregistrer
settings-saved = Réglages enregistrés.

## Zone de notification
tray-show = Afficher Ferry
tray-pause-all = Tout mettre en pause
tray-resume-all = Tout reprendre
tray-quit = Quitter
tray-tooltip-idle = Ferry : rien en cours
tray-tooltip-active = Ferry : { $active } en cours, { $percent } %

## Notifications
notification-download-finished = Téléchargement terminé
notification-upload-finished = Envoi terminé
notification-failed = Échec du transfert
notification-many-finished = { $count ->
    [one] { $count } transfert terminé
   *[other] { $count } transferts terminés
}
notification-many-failed = { $count ->
    [one] { $count } transfert en échec
   *[other] { $count } transferts en échec
}
notification-open = Ouvrir
notification-show-in-folder = Afficher dans le dossier
notification-no-tray = Ferry continue en arrière-plan. Lancez ferry à nouveau pour afficher la fenêtre.

# Network awareness, groups and policies
filter-all-groups = Tous les groupes
batch-selected = { $count } sélectionnés
batch-clear = Tout désélectionner
notice-batch-cancel-again = Annulez à nouveau pour arrêter { $count } transferts pour de bon : leurs fichiers partiels seront supprimés.
notice-batch-remove-again = Retirez à nouveau pour enlever { $count } transferts de la liste.
notice-cancel-first = Aucun des transferts choisis n’est terminé : Maj+Suppr les annule, puis Suppr les retire.
filter-all-categories = Tous les types
search-placeholder = Nom ou adresse…
footer-limit = Limite
sort-added = Ordre d’ajout
sort-queue = Ordre de la file
sort-name = Nom
sort-size = Taille
sort-status = État
sort-reverse = Dans l’autre sens (Ctrl+R)
category-videos = Vidéos
category-music = Musique
category-pictures = Images
category-documents = Documents
category-archives = Archives
category-programs = Programmes
category-other = Autres
details-category = Type
settings-categories = Types de fichier
settings-categories-hint = Un téléchargement sans dossier à lui va dans le dossier de son type (vide : le dossier de téléchargement). Les extensions décident du type ; une extension donnée à deux types va au premier.
settings-category-folder-placeholder = Dossier de téléchargement
settings-category-relative = { $kind } : le dossier doit être un chemin complet (commençant par /).
details-speed-graph = Vitesse, 2 dernières minutes
details-speed-peak = pointe { $speed }
details-speed-now = maintenant : { $speed }
details-speed-ago = il y a { $seconds } s : { $speed }
details-parts = Parties
details-parts-summary = { $count ->
    [one] { $count } partie
   *[other] { $count } parties
}, { $done ->
    [one] { $done } terminée
   *[other] { $done } terminées
}, { $working ->
    [one] { $working } connexion au travail
   *[other] { $working } connexions au travail
} (foncé : sûr sur le disque ; clair : reçu ; le trait : où en est une connexion)
action-run-anyway = Lancer quand même
details-group = Groupe
details-queue = Dans la file
details-queue-place = { $place } sur { $count }
network-offline = Hors ligne
network-unmetered = En ligne
network-metered = Réseau limité
network-roaming = En itinérance
network-near-budget = Réseau limité : forfait presque épuisé
network-over-budget = Réseau limité : forfait épuisé
network-power-saver = Économie d’énergie
settings-data-budget = Forfait mensuel sur les réseaux limités
settings-speed-limit = Vitesse maximale de tous les transferts
settings-speed-limit-none = Aucune limite
settings-data-budget-none = Aucun
settings-data-used = { $size } utilisés ce mois-ci
traffic-last-days = 30 derniers jours : { $total } transférés, dont { $metered } sur des réseaux limités
traffic-day = { $day } : { $total } ({ $metered } sur réseau limité)

# Credentials, proxy and cookies
request-proxy = Proxy
request-proxy-hint = http://hôte:3128 ou socks5://utilisateur:motdepasse@hôte:1080
request-cookies = Cookies
request-cookies-hint = nom=valeur; autre=valeur
details-user = Utilisateur
details-proxy = Proxy
details-tls = TLS
details-tls-unchecked = ⚠ certificats non vérifiés (--insecure) : les octets ont pu être lus ou modifiés en chemin
details-secret = (gardé secret)
details-cookies = Cookies

## Refus (une demande que le moteur a refusée)
refusal-shutting-down = Ferry s’arrête ; réessayez dans un instant
refusal-not-a-url = adresse invalide : { $input } ({ $reason })
refusal-unsupported-scheme = schéma d’adresse { $scheme } non pris en charge : Ferry transfère en http, https, ftp et ftps
refusal-ftp-upload-mode = un envoi FTP envoie un fichier tel quel : le multipart et tus demandent http ou https
refusal-insecure-ftp = la vérification des certificats ne peut être désactivée qu’en HTTPS ; FTPS la garde (faites confiance au certificat du serveur avec extra_root_certificates)
refusal-no-host = l’adresse n’a pas d’hôte : { $url }
refusal-folder-missing = le dossier de destination { $path } n’existe pas
refusal-not-a-folder = { $path } n’est pas un dossier
refusal-folder-not-writable = impossible d’écrire dans le dossier de destination { $path } : { $reason }
refusal-relative-path = le chemin de destination doit être absolu : { $path }
refusal-invalid-header = en-tête invalide { $name } : { $reason }
refusal-no-sources = aucun fichier à envoyer
refusal-source-missing = le fichier à envoyer { $path } n’existe pas
refusal-source-not-a-file = { $path } n’est pas un fichier (les dossiers ne sont pas envoyés)
refusal-source-unreadable = impossible de lire le fichier à envoyer { $path } : { $reason }
refusal-one-source-only = cet envoi envoie un seul fichier ; un par opération, ou bien le multipart
refusal-multipart-needs-post = le multipart/form-data s’envoie en POST ; en PUT chaque fichier est envoyé tel quel, une requête par fichier
refusal-invalid-field-name = nom de champ de formulaire invalide { $name }
refusal-no-such-group = aucun groupe nommé « { $name } » ; créez-le d’abord
refusal-group-closed = le groupe « { $name } » est activé et son action est en route ; les opérations rejoignent un groupe avant son activation
refusal-invalid-group-name = nom de groupe invalide « { $name } » : { $reason }
refusal-group-exists = un groupe nommé « { $name } » existe déjà
refusal-empty-action = l’action de fin a besoin d’un programme à lancer
refusal-invalid-user = un nom d’utilisateur ne peut contenir ni « : » ni caractères de contrôle
refusal-invalid-cookie = cookie invalide { $cookie } : nom=valeur attendu
refusal-invalid-proxy = proxy invalide { $proxy } : { $reason }
refusal-invalid-checksum = somme de contrôle { $algorithm } invalide : { $digits } chiffres hexadécimaux attendus
refusal-too-large = la demande est trop grande : { $detail }
name-and-more = { $first } (+{ $more } autres)

action-change-address = Changer d’adresse…
change-address-title = Une nouvelle adresse pour « { $name } »
change-address-explain = Son lien ne fonctionne plus. Collez-en un nouveau (téléchargez le fichier à nouveau dans le navigateur et copiez son adresse) : Ferry vérifie qu’il sert le même fichier, puis reprend là où il s’était arrêté.
change-address-continue = Continuer
change-address-checking = Vérification que la nouvelle adresse sert le même fichier…
change-address-other-file = Si le fichier à cette adresse est bien celui que vous voulez, Ferry peut le télécharger depuis le début ; ce qu’il avait déjà reçu est supprimé.
change-address-start-over = Recommencer depuis cette adresse
refusal-different-file = La nouvelle adresse sert un autre fichier ; le téléchargement garde ce qu’il a.
refusal-address-unusable = La nouvelle adresse ne peut pas servir : { $reason }.
refusal-gone = Ce transfert n’est plus dans la liste.
refusal-invalid-state = Impossible dans l’état où est le transfert.
refusal-internal = Ferry n’a pas pu le faire : { $detail }

## Un téléchargement confié par le navigateur, et les liens d’une page
settings-ask-browser = Demander avant d’ajouter un téléchargement venu du navigateur
settings-rpc-listen = Adresse du RPC aria2 (vide : désactivé)
settings-rpc-secret = Secret du RPC aria2
settings-rpc-hint = AriaNg, les extensions aria2 et aria2p se connectent avec cette adresse et ce secret. Pris en compte au prochain démarrage de Ferry.
settings-rpc-bad-address = « { $address } » n’est pas une adresse et un port comme 127.0.0.1:6800 : le RPC reste désactivé.
settings-rpc-needs-secret = Le RPC a besoin d’un secret : il reste désactivé sans.
handoff-title = Téléchargement venu du navigateur
handoff-size = Taille : { $size }
handoff-size-unknown = inconnue avant le début
handoff-name = Nom
handoff-group = Groupe
handoff-no-group = Aucun
handoff-start-now = Commencer maintenant
handoff-decline = Laisser le navigateur le télécharger
handoff-more = { $count ->
    [one] Un autre téléchargement venu du navigateur attend une réponse.
   *[other] { $count } autres téléchargements venus du navigateur attendent une réponse.
}
handoff-exists = « { $name } » est déjà dans ce dossier : le nouveau fichier prendra un autre nom, rien n’est écrasé.
handoff-bad-name = Le nom ne doit pas être vide ni contenir « / ».
handoff-no-folder = Le dossier { $folder } ne peut pas être créé : { $reason }
handoff-withdrawn = Pas de réponse à temps : le navigateur télécharge « { $name } » lui-même.
handoff-too-late = Le navigateur a repris ce téléchargement (il a attendu trop longtemps une réponse).
links-title = { $count ->
    [one] Un lien de la page
   *[other] { $count } liens de la page
}
links-filter-hint = Filtre : mots ou types (.zip .iso)
links-check-shown = Cocher ceux affichés
links-uncheck-shown = Décocher ceux affichés
links-shown = { $shown } affichés, { $chosen } cochés
links-none-chosen = Aucun lien affiché n’est coché.
links-submit = { $count ->
    [one] Télécharger 1 fichier
   *[other] Télécharger { $count } fichiers
}

# Raccourcis clavier (F1)
shortcuts-title = Raccourcis clavier
shortcuts-tooltip = Raccourcis clavier (F1)
shortcut-new-download = Nouveau téléchargement
shortcut-new-upload = Nouvel envoi
shortcut-paste = Sur la liste : un téléchargement avec les adresses copiées
shortcut-search = Chercher dans la liste
shortcut-select-all = Choisir tous les transferts affichés
shortcut-pick-one = Ajouter un transfert au choix, ou l’en retirer
shortcut-pick-range = Choisir tous les transferts jusqu’à celui-ci
shortcut-pause-resume = Mettre en pause ou reprendre les transferts choisis (en échec : réessayer)
shortcut-remove = Retirer les transferts choisis (appuyer deux fois)
shortcut-escape = Ne plus rien choisir ; quitter un écran
shortcut-tab = Champ suivant ou précédent
shortcut-send = Envoyer le formulaire
shortcut-quit = Arrêter Ferry (les transferts reprennent au prochain démarrage)
shortcut-help = Cette liste
keys-arrows = ↑ ↓, Pg préc./suiv., Début, Fin
keys-shift-arrows = Maj+↑ ↓
keys-enter = Entrée
keys-menu = Touche Menu, Maj+F10
shortcut-arrows = Choisir le transfert au-dessus ou en dessous (dans le menu : l’entrée)
shortcut-shift-arrows = Choisir plus de transferts, vers le haut ou le bas
shortcut-details = Détails du transfert choisi (dans le menu : valider)
shortcut-menu = Le menu du transfert choisi
keys-ctrl-click = Ctrl+clic
keys-shift-click = Maj+clic
keys-space = Espace
keys-delete = Suppr
keys-escape = Échap
keys-tab = Tab, Maj+Tab
keys-ctrl-enter = Ctrl+Entrée
keys-shift-delete = Maj+Suppr
shortcut-cancel = Annuler les transferts choisis (appuyer deux fois)
shortcut-priority = La priorité suivante pour les transferts choisis (avec Maj : la précédente)
shortcut-policy = Le choix suivant pour les réseaux limités, pour les transferts choisis
keys-alt-arrows = Alt+↑ ↓, Alt+Début, Alt+Fin
shortcut-move = Déplacer le transfert choisi dans la file : d’une place, en tête ou en dernier
shortcut-states = Afficher un état : tous, en cours, en attente, terminés, en échec (l’ordre de la barre latérale)
shortcut-order = L’ordre suivant de la liste (avec Maj : le précédent)
shortcut-reverse = L’ordre de la liste dans l’autre sens
shortcut-kind = Le type de fichier suivant (avec Maj : le précédent)
shortcut-group = Le groupe suivant (avec Maj : le précédent)
shortcut-limit = La limite de vitesse suivante pour tous les transferts (avec Maj : une plus basse)
shortcut-when-done = Le choix suivant de ce qui se passe une fois tout terminé
shortcut-settings = Réglages

# La barre des transferts choisis : priorité et réseaux limités
batch-priority = Priorité…
batch-policy = Sur les réseaux limités…
priority-high = Haute (en tête de file)
priority-normal = Normale
priority-low = Basse (après les autres)

# Le menu d’une ligne (clic droit)
menu-copy-address = Copier l’adresse
menu-move-up = Avancer dans la file
menu-move-down = Reculer dans la file
menu-limit = Sa propre limite

# La barre latérale d’une fenêtre large
filter-running = En cours
filter-waiting = En attente
sidebar-kinds = Types de fichier
sidebar-groups = Groupes
sidebar-hide = Masquer la barre latérale (Ctrl+B)
sidebar-show = Afficher la barre latérale (Ctrl+B)
shortcut-sidebar = Masquer ou afficher la barre latérale

## Ce que le formulaire de téléchargement a trouvé à chaque adresse
check-checking = Vérification de { $url }…
check-resumable = peut reprendre
check-not-resumable = ne peut pas reprendre : une pause ou une coupure le recommence
check-failed = { $url } : { $reason }
check-more = …et { $count } de plus

## Le panneau de détails sous la liste
pane-show = Afficher les détails sous la liste (Ctrl+I)
pane-hide = Masquer le panneau de détails (Ctrl+I)
pane-pick-a-row = Cliquez sur un transfert pour voir ses détails ici.
shortcut-pane = Afficher ou masquer le panneau de détails

## Plannings
status-scheduled = En attente jusqu’à { $time }
status-scheduled-none = Hors de ses horaires
weekday-mon = lun.
weekday-tue = mar.
weekday-wed = mer.
weekday-thu = jeu.
weekday-fri = ven.
weekday-sat = sam.
weekday-sun = dim.
settings-schedule = Planning
settings-schedule-hint = Quand les transferts peuvent avoir lieu, et à quelle vitesse, selon l’heure (heure locale ; une fin avant ou égale au début déborde sur le lendemain). Quand plusieurs règles s’appliquent, la plus restrictive l’emporte ; « Lancer quand même » sur un transfert le laisse passer.
schedule-rule = { $from }–{ $to }, { $days } : { $who } { $what }
schedule-every-day = tous les jours
schedule-all = tous les transferts
schedule-group = groupe { $name }
schedule-policy = transferts de politique { $policy }
schedule-run-only = seulement à ces heures
schedule-never = jamais à ces heures
schedule-limit = au plus { $kib } Kio/s à ces heures
schedule-limit-choice = au plus… Kio/s à ces heures
schedule-days-placeholder = jours : mon-fri
schedule-add = Ajouter la règle
schedule-bad-time = « { $typed } » n’est pas une heure (HH:MM).
schedule-bad-days = Les jours s’écrivent mon, tue… sun, en liste (mon,wed) ou en plage (mon-fri) ; vide : tous les jours.
schedule-bad-limit = Une limite est un nombre de Kio/s supérieur à 0.

## When done (the queue, a group)
when-done = Une fois fini
when-done-nothing = Ne rien faire
when-done-quit = Quitter Ferry
when-done-suspend = Mettre en veille
when-done-power-off = Éteindre
when-done-countdown-queue = { $what ->
    [quit] Ferry se ferme
    [suspend] L’ordinateur se met en veille
   *[power-off] L’ordinateur s’éteint
} dans { $seconds } s : tous les transferts sont finis.
when-done-countdown-group = { $what ->
    [quit] Ferry se ferme
    [suspend] L’ordinateur se met en veille
   *[power-off] L’ordinateur s’éteint
} dans { $seconds } s : le groupe « { $group } » est fini.
when-done-notification = { $what ->
    [quit] Ferry se ferme
    [suspend] L’ordinateur se met en veille
   *[power-off] L’ordinateur s’éteint
} dans { $seconds } s
when-done-notification-queue = Tous les transferts sont finis.
when-done-notification-group = Le groupe « { $group } » est fini.
when-done-failed = { $what ->
    [quit] Ferry n’a pas pu se fermer
    [suspend] L’ordinateur n’a pas pu être mis en veille
   *[power-off] L’ordinateur n’a pas pu être éteint
}
