# SPDX-License-Identifier: BSD-3-Clause
#
# The CoAP/IoT experiment's figure: median and p99 response time against the
# number of parallel requests per server, one line per configuration.
# bench/coap_iot.py --plot calls it as
#
#   gnuplot -e "datafile='F.dat'; outfile='docs/coap-iot.png'; nconf=N; \
#       subtitle='...'; paper='...'" bench/plot_coap.gp
#
# The data file has a header line (P, then two column names per
# configuration), then one line per P: P, then the median and the p99 of
# every configuration, in microseconds ("NaN" where a run is missing).
# "paper" is a line about the paper's own figures, printed under the plots
# so that theirs (milliseconds, on a Raspberry Pi) are not read as ours.
# "kinds" has one word per configuration, in the same order: "n" (native),
# "k" (kernel-overlay reference, drawn dashed) or "c" (containers).

if (!exists("datafile")) datafile = 'coap-iot.dat'
if (!exists("outfile")) outfile = 'coap-iot.png'
if (!exists("nconf")) nconf = 1
if (!exists("subtitle")) subtitle = ''
if (!exists("paper")) paper = ''
if (!exists("kinds")) kinds = ''

set terminal pngcairo size 1280,560 font ",10" noenhanced
set output outfile
set datafile missing 'NaN'
set multiplot layout 1,2 \
	title "CoAP GET response time vs parallel requests per server (ours)\n".subtitle \
	margins 0.07,0.98,0.16,0.86 spacing 0.08
set xlabel 'parallel requests per server (P)'
set ylabel 'response time (us)'
set xtics 1
set xrange [0.8:4.2]
set yrange [0:*]
# Room above the data for the key.
set offsets 0, 0, graph 0.45, 0
set grid ytics
set key top left Left reverse
# Nine distinct colours: one per configuration of a full run.
set linetype 1 lc rgb '#9400d3'
set linetype 2 lc rgb '#009e73'
set linetype 3 lc rgb '#56b4e9'
set linetype 4 lc rgb '#e69f00'
set linetype 5 lc rgb '#cc79a7'
set linetype 6 lc rgb '#0072b2'
set linetype 7 lc rgb '#e51e10'
set linetype 8 lc rgb '#000000'
set linetype 9 lc rgb '#a0522d'
# The kernel-overlay references are dashed.
do for [i=1:nconf] {
	if (word(kinds, i) eq 'k') { set linetype i dashtype 2 }
}

set label 1 paper at screen 0.5, 0.03 center
set title 'median'
plot for [i=1:nconf] datafile using 1:(column(2*i)) with linespoints lt i lw 2 pt 7 \
	title columnhead(2*i)
unset label 1

set title 'p99'
plot for [i=1:nconf] datafile using 1:(column(2*i+1)) with linespoints lt i lw 2 pt 7 \
	title columnhead(2*i+1)

unset multiplot
