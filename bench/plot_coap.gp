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

if (!exists("datafile")) datafile = 'coap-iot.dat'
if (!exists("outfile")) outfile = 'coap-iot.png'
if (!exists("nconf")) nconf = 1
if (!exists("subtitle")) subtitle = ''
if (!exists("paper")) paper = ''

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

set label 1 paper at screen 0.5, 0.03 center
set title 'median'
plot for [i=1:nconf] datafile using 1:(column(2*i)) with linespoints lw 2 pt 7 \
	title columnhead(2*i)
unset label 1

set title 'p99'
plot for [i=1:nconf] datafile using 1:(column(2*i+1)) with linespoints lw 2 pt 7 \
	title columnhead(2*i+1)

unset multiplot
