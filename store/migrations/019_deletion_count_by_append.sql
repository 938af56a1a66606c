-- ledger_deletion_count (migration 016) is kept by Tx.Append from now on:
-- it counts the deletion entries among the leaves it appends, per minute
-- and outcome, read from their canonical bytes as the trigger read them,
-- and adds each count in one statement in the same transaction. The
-- trigger did the same per entry, scanning each entry's bytes four times
-- for "outcome": — about 8 µs of the 21 µs an entry took to append.
DROP TRIGGER ledger_entry_count_deletion;
