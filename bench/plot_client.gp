# Chart of the client benchmark: CPU µs per request (log scale) and
# requests/s of each client on each transport. bench/run_client.sh runs it in
# bench/results/, on client.dat (written by client_table.py: one line a
# client, CPU then req/s for plain, TLS and HTTP/2), and it writes client.png.
set terminal pngcairo size 1200,520 font "DejaVu Sans,10" noenhanced
set output 'client.png'
set datafile separator whitespace
set datafile missing 'NaN'
set style data histograms
set style fill solid 0.85 border -1
set style histogram clustered gap 1
set boxwidth 0.9 relative
set grid ytics
set xtics rotate by -25 left nomirror
set key top left
set bmargin 6
set multiplot layout 1,2 title "uvaws client benchmark: DynamoDB GetItem to a local nginx, 64 in flight (medians of interleaved rounds)"
set title "client CPU per request, µs (log scale, lower is better)"
set logscale y
set yrange [5:*]
plot 'client.dat' using 2:xtic(1) title 'plain HTTP/1.1' linecolor rgb "#4477aa", \
     '' using 3 title 'TLS 1.3, HTTP/1.1' linecolor rgb "#228833", \
     '' using 4 title 'TLS 1.3, HTTP/2' linecolor rgb "#ccbb44"
unset logscale y
set yrange [0:*]
set title "requests per second (higher is better)"
plot 'client.dat' using 5:xtic(1) title 'plain HTTP/1.1' linecolor rgb "#4477aa", \
     '' using 6 title 'TLS 1.3, HTTP/1.1' linecolor rgb "#228833", \
     '' using 7 title 'TLS 1.3, HTTP/2' linecolor rgb "#ccbb44"
unset multiplot
