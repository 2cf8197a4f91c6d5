-- Reserved: version 9 is the services rollback migration, written on another
-- branch at the same time as components (0010). This stand-in keeps the
-- versions contiguous on the components branch and is dropped when the two
-- meet.
SELECT 1;
