# The zone is named, as in English.
DATETIME_FORMAT = "j. F Y H:i T"
