# Chart of the client benchmark: CPU µs per request (log scale) and
# requests/s for each client. bench/run_client.sh runs it in bench/results/,
# on client.dat (written by client_table.py), and it writes client.png there.
set terminal pngcairo size 1100,480 font "DejaVu Sans,10" noenhanced
set output 'client.png'
set datafile separator whitespace
set style data histograms
set style fill solid 0.8 border -1
set style histogram clustered gap 1
set boxwidth 0.9 relative
set grid ytics
set xtics rotate by -30 left nomirror
set key off
set bmargin 6
set multiplot layout 1,2 title "uvaws client benchmark: DynamoDB GetItem to a local nginx, 64 in flight (median of rounds)"
set title "client CPU per request, µs (log scale, lower is better)"
set logscale y
set yrange [1:*]
plot 'client.dat' using 3:xtic(1) linecolor rgb "#4477aa", \
     '' using 0:($3*1.15):(sprintf("%.1f", $3)) with labels center font ",9"
unset logscale y
set yrange [0:*]
set title "requests per second (higher is better)"
plot 'client.dat' using 2:xtic(1) linecolor rgb "#228833", \
     '' using 0:($2*1.03):(sprintf("%.0f", $2)) with labels center font ",9"
unset multiplot
