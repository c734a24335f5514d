// Package control is the operator's side of the state directory: silences (rules whose
// notifications are held back for a while) and acks (a firing rule whose repeats stop until
// it resolves). The CLI (`notimon silence`, `notimon ack`), Telegram commands and the HTTP API
// all write through AddSilence, ExpireSilence and AckRule; the engine reads the files on every
// tick through a Reader (a stat when nothing changed) and clears an ack when its rule resolves.
//
// # Files
//
//	<state dir>/
//	  silences.json        {"version": 1, "silences": [...]}: active, future and recently expired silences
//	  acks.json            {"version": 1, "acks": {"<rule>": {...}}}: one ack per firing rule
//	  control.lock         flock(2)ed for the few milliseconds of a read-modify-write
//	  .<file>.part-<rand>  a write in progress (removed by the next writer if its writer died)
//
// Writers take control.lock, never the run lock (`lock`), so that the CLI works within a
// second while a daemon holds the state directory. Each write is atomic and durable (temp
// file, fsync, rename, fsync of the directory): a reader sees the old file or the new one.
// Silences that ended more than Retention ago are pruned by the next write and are not
// returned by Silences.
package control
