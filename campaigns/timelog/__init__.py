"""The time log: who spent how long on which kind of work, for which campaign."""
