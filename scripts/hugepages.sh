# Sourced by the benchmark scripts: reserve 2 MiB hugepages for a run and
# give them back afterwards.
#   hp_reserve PAGES NAME  raise nr_hugepages to PAGES when it is lower; exit 1
#                          (naming NAME) when fewer than 256 pages are free
#   hp_release             restore the count found at start, unless someone
#                          changed it since (call it from the EXIT trap)
hp=/proc/sys/vm/nr_hugepages
hp_old=$(cat $hp)
hp_set=""

hp_reserve() {
	local free_pages
	if [ "$hp_old" -lt "$1" ]; then
		echo "$1" >$hp
		hp_set=$(cat $hp)
	fi
	free_pages=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	if [ "$free_pages" -lt 256 ]; then
		echo "$2: only $free_pages free hugepages (asked for $1, need 256)" >&2
		exit 1
	fi
}

hp_release() {
	if [ -n "$hp_set" ] && [ "$(cat $hp)" = "$hp_set" ]; then
		echo "$hp_old" >$hp 2>/dev/null || true
	fi
}
