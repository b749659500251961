# The zone is named: "Dec. 2, 2026, 6:41 p.m. EST".
DATETIME_FORMAT = "N j, Y, P T"
