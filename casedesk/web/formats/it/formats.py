# One way to write a date and a time on every page (docs/web.md#dates-and-times): the day, the
# month's short name and the year, and the 24-hour time, never a date that reads differently
# on each side of the Atlantic. The month's name is in the page's language.
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATETIME_FORMAT = "j M Y H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
FIRST_DAY_OF_WEEK = 1
