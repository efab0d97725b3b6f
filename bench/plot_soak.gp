# Chart of the soak (bench/run_soak.sh): resident set and open descriptors of
# the uvaws process against answers so far. Runs in bench/results/ on
# soak.dat (soak_table.py) and writes soak.png.
set terminal pngcairo size 1000,420 font "DejaVu Sans,10" noenhanced
set output 'soak.png'
set title "uvaws soak: 1,000,000 GetItem requests, 64 in flight, local nginx"
set xlabel "answers"
set ylabel "RSS, MB"
set y2label "open descriptors"
set format x "%.0s%c"
set yrange [0:*]
set y2range [0:*]
set ytics nomirror
set y2tics
set grid ytics
set key bottom right
plot 'soak.dat' using 1:($2/1024) with lines linewidth 2 linecolor rgb "#4477aa" title 'RSS (MB)', \
     '' using 1:3 axes x1y2 with lines linewidth 2 linecolor rgb "#cc6677" title 'open descriptors'
